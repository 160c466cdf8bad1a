// Importing a via module registers it (defineVia). One line per way in.
export {};
