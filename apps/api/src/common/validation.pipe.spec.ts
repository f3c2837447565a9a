import { ArgumentMetadata } from '@nestjs/common';
import { IsString } from 'class-validator';
import { PageQuery } from './pagination';
import { ProblemException } from './problem';
import { createValidationPipe } from './validation.pipe';

class RequiredQuery {
  @IsString()
  needed!: string;
}

const query = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'query', metatype });

describe('the validation pipe', () => {
  it('gives every request without a query string its own validated copy of the defaults', async () => {
    const pipe = createValidationPipe();
    const first = (await pipe.transform({}, query(PageQuery))) as PageQuery;
    const second = (await pipe.transform({}, query(PageQuery))) as PageQuery;
    expect(first).toBeInstanceOf(PageQuery);
    expect(first).toEqual({ limit: 20 });
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    second.limit = 5;
    expect(((await pipe.transform({}, query(PageQuery))) as PageQuery).limit).toBe(20);
  });

  it('still validates a query string that has something in it', async () => {
    const pipe = createValidationPipe();
    expect(await pipe.transform({ limit: '5' }, query(PageQuery))).toEqual({ limit: 5 });
    await expect(pipe.transform({ limit: '500' }, query(PageQuery))).rejects.toBeInstanceOf(ProblemException);
    await expect(pipe.transform({ userId: 'x' }, query(PageQuery))).rejects.toBeInstanceOf(ProblemException);
  });

  it('refuses an empty query every time when the DTO needs a parameter', async () => {
    const pipe = createValidationPipe();
    await expect(pipe.transform({}, query(RequiredQuery))).rejects.toBeInstanceOf(ProblemException);
    await expect(pipe.transform({}, query(RequiredQuery))).rejects.toBeInstanceOf(ProblemException);
  });
});
