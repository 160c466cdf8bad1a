/** flashwright doctor: log readers → facts → data rules → ranked causes; and `explain`. */
export * from './types.js';
export { diagnose, type DiagnoseOptions } from './diagnose.js';
export { explainToken, type Explanation } from './explain.js';
export { normalizeLog, decodeEntities } from './normalize.js';
export { readLog, TOOL_READERS, detectTool, type ToolReader } from './readers/index.js';
export { compileRules, RuleError } from './engine.js';
export { BUILTIN_RULES, RULE_FILES, type RuleData, type RuleFile, type FactCondition } from './rules/index.js';
export * as decoders from './decoders/index.js';
