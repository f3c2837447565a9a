/**
 * The framework's ceiling: a NestJS 11 app with one JSON route and nothing else (no middleware, hooks, guards or
 * logging), on Fastify or Express. `node -r @swc-node/register bench/baselines/bare-nest-app.ts <fastify|express> <port>`;
 * the request-path scenario starts both beside the api and loads them the same way.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

@Controller()
class BareController {
  @Get()
  status(): { status: string } {
    return { status: 'ok' };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function main(): Promise<void> {
  const [framework, port] = process.argv.slice(2);
  if (framework !== 'fastify' && framework !== 'express')
    throw new Error('usage: bare-nest-app.ts <fastify|express> <port>');
  const adapter = framework === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  const app = await NestFactory.create(BareModule, adapter, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(port), '127.0.0.1');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
