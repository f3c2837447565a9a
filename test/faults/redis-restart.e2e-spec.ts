import { PrivateRedis } from '../support/private-redis';
import { describeDependencyRestart } from './dependency-restart';

describeDependencyRestart({
  name: 'Redis',
  title: 'fault: Redis restarts, losing every key, during a load of prompts',
  start: async () => {
    const redis = await PrivateRedis.start();
    return {
      url: redis.url,
      stop: () => redis.stop(),
      restart: () => redis.restart(),
      dispose: () => redis.stop(),
    };
  },
  stackSettings: (server) => ({ env: { REDIS_URL: server.url }, options: {} }),
});
