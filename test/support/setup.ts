// aws-local-stepfunctions@3 relies on Promise.withResolvers, which Node 20 lacks.
type Resolvers<T> = { promise: Promise<T>; resolve: (v: T | PromiseLike<T>) => void; reject: (e?: unknown) => void };
const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = <T>(): Resolvers<T> => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
// Tests never reach AWS: make any client that forgets an endpoint fail fast instead of hanging on credentials.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-west-2';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
// CloudFormation's built-in rule validation spends 10-20 s of WebAssembly start-up in every test file that
// synthesizes; construct tests assert on templates directly, so it is off here. The example app's test
// (test/bin/app.test.ts) turns it back on, as `cdk synth` has it.
process.env.CDK_VALIDATION ??= 'false';
