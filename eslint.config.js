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
      'no-console': 'error'
    }
  },
  {
    files: ['scripts/**/*.mjs', 'tools/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } }
  }
)
