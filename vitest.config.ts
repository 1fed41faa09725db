import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    // End-to-end tests spawn the bundle on Node 24 and wait out real retries.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    restoreMocks: true,
    // Every mock, the @actions/core stand-in included, starts each test afresh.
    mockReset: true,
    unstubEnvs: true
  }
})
