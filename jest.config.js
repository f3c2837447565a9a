/** Unit tests live beside the code; end-to-end suites in test/. Both compile with SWC (types: `npm run typecheck`). */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
  },
];
const moduleNameMapper = {
  '^@app/(config|database|queue|gemini|observability|stand-ins|replies|usage)(|/.*)$':
    '<rootDir>/libs/$1/src$2',
  '^@app/sdk$': '<rootDir>/libs/sdk/src',
};
const common = {
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  // A global option (Jest ignores it per project). Room for HTTP round trips on a busy machine; hooks and tests that
  // start processes set their own, longer timeouts (STACK_TIMEOUT_MS).
  testTimeout: 30_000,
  // Workers exit within a few ms of being told to (measured), but a parent busy on two loaded cores may not see the
  // exit within Jest's default 500 ms and reports "A worker process has failed to exit gracefully".
  workerGracefulExitTimeout: 5_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['<rootDir>/test/faults/'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      slowTestThreshold: 30,
    },
    {
      ...common,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      slowTestThreshold: 120,
    },
  ],
};
