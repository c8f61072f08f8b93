/**
 * Resolves the CloudFormation intrinsics a synthesized template uses in state-machine definitions and pipe
 * filters, so tests can run exactly what `cdk synth` produced. References become stable fake ARNs.
 */
export interface CfnContext {
  readonly region: string;
  readonly account: string;
  /** Logical id → value for `Ref`; defaults to `ref:<LogicalId>`. */
  readonly refs?: Record<string, string>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function fakeArn(ctx: CfnContext, logicalId: string, attribute: string): string {
  return `arn:aws:fake:${ctx.region}:${ctx.account}:${logicalId}/${attribute}`;
}

export function resolveCfn(value: unknown, ctx: CfnContext): Json {
  if (Array.isArray(value)) return value.map((v) => resolveCfn(v, ctx));
  if (value === null || typeof value !== 'object') return value as Json;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [k] = keys;
    const arg = obj[k];
    switch (k) {
      case 'Ref':
        return resolveRef(String(arg), ctx);
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
        return fakeArn(ctx, id, attr);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return parts.map((p) => String(resolveCfn(p, ctx))).join(sep);
      }
      case 'Fn::Sub': {
        const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
        return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
          if (name in vars) return String(resolveCfn(vars[name], ctx));
          if (name.includes('.')) {
            const [id, attr] = name.split('.');
            return fakeArn(ctx, id, attr);
          }
          return resolveRef(name, ctx);
        });
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number, unknown];
        return (resolveCfn(list, ctx) as Json[])[Number(index)];
      }
      case 'Fn::Split': {
        const [sep, source] = arg as [string, unknown];
        return String(resolveCfn(source, ctx)).split(sep);
      }
      default:
        break;
    }
  }
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = resolveCfn(v, ctx);
  return out;
}

function resolveRef(name: string, ctx: CfnContext): string {
  switch (name) {
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::AccountId':
      return ctx.account;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return 'stack';
    default:
      return ctx.refs?.[name] ?? `ref:${name}`;
  }
}
