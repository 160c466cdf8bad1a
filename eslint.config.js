// Lint rules that guard the architecture: the library core must run in a browser, so Node
// built-ins are allowed only in link/ adapters (node-*.ts), the CLI and the simulators' pty glue.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.d.ts', 'test/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/link/node-*.ts', 'src/sim/node-*.ts', 'src/pack/node-*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'fs', 'path', 'os', 'net', 'child_process', 'serialport', 'node-hid'], message: 'The library core runs in browsers too: Node modules belong in link/node-*.ts or cli/.' }] }],
      'no-restricted-globals': ['error', { name: 'Buffer', message: 'Use Uint8Array: the core runs in browsers.' }, { name: 'process', message: 'The core runs in browsers.' }],
    },
  },
);
