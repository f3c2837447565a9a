import { PrivatePostgres } from '../support/private-postgres';
import { describeDependencyRestart } from './dependency-restart';

describeDependencyRestart({
  name: 'PostgreSQL',
  title: 'fault: PostgreSQL restarts during a load of prompts',
  start: async () => {
    const postgres = await PrivatePostgres.start();
    return {
      url: postgres.url,
      stop: () => postgres.stop(),
      restart: () => postgres.restart(),
      dispose: () => postgres.remove(),
    };
  },
  stackSettings: (server) => ({
    env: { GEMINI_RETRY_BASE_DELAY_MS: '100' },
    options: { databaseServerUrl: server.url },
  }),
});
