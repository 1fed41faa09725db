import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'

// Plain lines and annotations go through src/runner/step-log.ts, so that no value becomes a workflow command.
const PRINTING = ['info', 'debug', 'warning', 'error', 'notice', 'setFailed'].map((property) => ({
  object: 'core',
  property,
  message: 'Print through src/runner/step-log.ts, which keeps values from becoming workflow commands.'
}))

// Outputs are set through each action's typed setter, whose names a test holds against its action.yml.
const SETTING_OUTPUTS = [
  {
    object: 'core',
    property: 'setOutput',
    message: 'Set outputs with setReportOutput (src/report/outputs.ts) or setJobOutput (src/job/outputs.ts).'
  }
]

/** What ships loads nothing that only the tests and the local tools have. */
const SHIPPED = [
  {
    group: ['**/local/**', '**/tools/**', '**/__tests__/**', '**/__fixtures__/**'],
    message: 'What ships loads nothing of the local stand-ins, the tools or the tests.'
  }
]

/** What needs a GitHub Actions runner: the toolkit, and the folders built on it. */
const RUNNER_ONLY = [
  {
    group: ['@actions/*', '**/runner/**', '**/report/**', '**/job/**'],
    message: 'This runs on Lambda too, where there is no runner: take what it needs of the runner as a parameter.'
  }
]

/** Files that may not import modules matching the patterns. */
function boundary(files, patterns) {
  return { files, rules: { 'no-restricted-imports': ['error', { patterns }] } }
}

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
      'no-restricted-properties': ['error', ...PRINTING, ...SETTING_OUTPUTS]
    }
  },
  {
    files: ['src/runner/step-log.ts'],
    rules: { 'no-restricted-properties': ['error', ...SETTING_OUTPUTS] }
  },
  {
    files: ['src/report/outputs.ts', 'src/job/outputs.ts'],
    rules: { 'no-restricted-properties': ['error', ...PRINTING] }
  },
  // The boundary between the two audiences: src/runner/, src/report/ and src/job/ need a GitHub
  // Actions runner; everything else also runs on Lambda, so it may load nothing of theirs. A file
  // takes the last block that matches it, so each block lists all that its folder may not load.
  boundary(['src/**/*.ts'], SHIPPED),
  boundary(
    ['src/portable/**/*.ts'],
    [
      ...SHIPPED,
      ...RUNNER_ONLY,
      {
        group: ['**/artifacts/**', '**/bridge/**'],
        message: 'src/portable/ is what the others build on: it loads only itself.'
      }
    ]
  ),
  boundary(
    ['src/artifacts/**/*.ts'],
    [...SHIPPED, ...RUNNER_ONLY, { group: ['**/bridge/**'], message: 'The artifact library does not know the bridge.' }]
  ),
  boundary(['src/bridge/**/*.ts'], [...SHIPPED, ...RUNNER_ONLY]),
  boundary(
    ['local/**/*.ts'],
    [
      {
        group: ['**/__tests__/**', '**/tools/**'],
        message: 'The local stand-ins serve the tests and the tools, and load neither.'
      }
    ]
  ),
  {
    files: ['scripts/**/*.mjs', 'tools/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } }
  }
)
