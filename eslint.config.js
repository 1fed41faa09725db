import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'tools/node24/', 'coverage/'] },
  js.configs.recommended,
  {
    // Rules that need type information run on TypeScript only; the .mjs scripts keep the rules above.
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    }
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      // The step talks to the runner through @actions/core, never the console.
      'no-console': 'error',
      // Plain lines and annotations go through src/core/log.ts, so that no value becomes a workflow command.
      'no-restricted-properties': [
        'error',
        ...['info', 'debug', 'warning', 'error', 'notice', 'setFailed'].map((property) => ({
          object: 'core',
          property,
          message: 'Print through src/core/log.ts, which keeps values from becoming workflow commands.'
        }))
      ]
    }
  },
  {
    files: ['src/core/log.ts'],
    rules: { 'no-restricted-properties': 'off' }
  },
  {
    files: ['scripts/**/*.mjs', 'tools/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } }
  }
)
