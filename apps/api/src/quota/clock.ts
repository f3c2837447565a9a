import { Injectable } from '@nestjs/common';

/** The time, injectable so tests can move across a day boundary. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
