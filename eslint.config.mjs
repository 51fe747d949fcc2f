import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.scratch/**', '**/*.js', '!eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Configuration is parsed once in lib/config; nothing else reads the environment.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through lib/config (parsed once, frozen).' }],
    },
  },
  {
    files: ['lib/config/**', 'lib/runtime/**', 'test/**', 'bench/**', 'scripts/**', '**/*.test.ts', '**/main.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
