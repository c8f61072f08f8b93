import { performance } from 'node:perf_hooks';

/**
 * Default per-account TPS quotas of the AWS IoT Core control plane, per API. The one table the emulator
 * enforces; override per emulator with `quotas` (Infinity disables a limit), scale with `quotaScale`.
 * APIs not listed (the data plane, the Lambda stand-in) are unlimited.
 *
 * Source: "AWS IoT Core API throttling limits" in the AWS General Reference
 * (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#throttling-limits).
 */
export const DEFAULT_TPS_QUOTAS: Readonly<Record<string, number>> = {
  CreateThing: 100,
  UpdateThing: 100,
  DeleteThing: 100,
  DescribeThing: 350,
  ListThings: 10,
  AttachThingPrincipal: 100,
  CreateThingGroup: 25,
  UpdateThingGroup: 25,
  DeleteThingGroup: 25,
  DescribeThingGroup: 100,
  AddThingToThingGroup: 60,
  RemoveThingFromThingGroup: 60,
  ListThingGroups: 10,
  ListThingsInThingGroup: 10,
  ListThingGroupsForThing: 10,
  CreateThingType: 15,
  DescribeThingType: 50,
  DeprecateThingType: 15,
  DeleteThingType: 15,
  ListThingTypes: 10,
  DetachThingPrincipal: 100,
  ListThingPrincipals: 10,
  ListThingPrincipalsV2: 10,
  ListPrincipalThings: 10,
  ListPrincipalThingsV2: 10,
  // Certificates
  CreateKeysAndCertificate: 10,
  CreateCertificateFromCsr: 15,
  RegisterCertificate: 10,
  RegisterCertificateWithoutCA: 10,
  DescribeCertificate: 10,
  UpdateCertificate: 10,
  DeleteCertificate: 10,
  ListCertificates: 10,
  ListCertificatesByCA: 10,
  RegisterCACertificate: 10,
  DescribeCACertificate: 10,
  UpdateCACertificate: 10,
  DeleteCACertificate: 10,
  ListCACertificates: 10,
  // Policies
  CreatePolicy: 10,
  GetPolicy: 10,
  DeletePolicy: 10,
  ListPolicies: 10,
  CreatePolicyVersion: 10,
  GetPolicyVersion: 15,
  ListPolicyVersions: 10,
  SetDefaultPolicyVersion: 10,
  DeletePolicyVersion: 10,
  AttachPolicy: 15,
  DetachPolicy: 15,
  ListAttachedPolicies: 15,
  ListTargetsForPolicy: 10,
  // Provisioning templates
  CreateProvisioningTemplate: 10,
  DescribeProvisioningTemplate: 10,
  UpdateProvisioningTemplate: 10,
  DeleteProvisioningTemplate: 10,
  ListProvisioningTemplates: 10,
  CreateProvisioningTemplateVersion: 10,
  DescribeProvisioningTemplateVersion: 10,
  ListProvisioningTemplateVersions: 10,
  DeleteProvisioningTemplateVersion: 10,
  // Role aliases
  CreateRoleAlias: 10,
  DescribeRoleAlias: 10,
  UpdateRoleAlias: 10,
  DeleteRoleAlias: 10,
  ListRoleAliases: 10,
  UpdateEventConfigurations: 1,
};

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * One token bucket per API, refilled continuously at the quota rate, holding at most one second of quota
 * (so a burst of `tps` calls passes, the next one is throttled).
 * Runs on the monotonic wall clock, not the emulator's injectable `now`: a test that freezes time for
 * cooldowns must not freeze the refill.
 */
export class TokenBucketLimiter {
  private readonly quotas: Record<string, number>;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    overrides: Partial<Record<string, number>> = {},
    private readonly clock: () => number = () => performance.now(),
    /** Multiplies every quota (defaults and overrides), e.g. 10 for a benchmark of a raised account. */
    scale = 1,
  ) {
    if (!(scale > 0)) throw new Error(`quotaScale must be positive, got ${scale}`);
    const quotas: Record<string, number> = { ...DEFAULT_TPS_QUOTAS };
    for (const [api, tps] of Object.entries(overrides)) {
      if (tps !== undefined) quotas[api] = tps;
    }
    for (const api of Object.keys(quotas)) quotas[api] *= scale;
    this.quotas = quotas;
  }

  /** Takes a token for `operation`; false means the call must be throttled. */
  tryAcquire(operation: string): boolean {
    const tps = this.quotas[operation];
    if (tps === undefined || tps === Infinity) return true;
    if (tps <= 0) return false;
    const capacity = Math.max(tps, 1);
    const now = this.clock();
    const bucket = this.buckets.get(operation) ?? { tokens: capacity, updatedAt: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updatedAt) * tps) / 1000);
    bucket.updatedAt = now;
    this.buckets.set(operation, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Multiplies every quota from now on (buckets refill at the new rates). */
  scale(factor: number): void {
    if (!(factor > 0)) throw new Error(`quota factor must be positive, got ${factor}`);
    for (const api of Object.keys(this.quotas)) this.quotas[api] *= factor;
  }

  reset(): void {
    this.buckets.clear();
  }
}

/**
 * Fault injection: `throttle()` makes every call (or only some APIs) answer ThrottlingException until a
 * deadline; `throttleNext()` makes the next N matching calls answer it, whatever the clock says, so a test
 * can inject faults by call count and assert outcomes on a loaded machine.
 */
export class ThrottleInjector {
  private allUntil = 0;
  private readonly apiUntil = new Map<string, number>();
  private readonly counted: { remaining: number; apis?: ReadonlySet<string> }[] = [];
  private injectedCount = 0;

  constructor(private readonly clock: () => number = () => performance.now()) {}

  throttle(forMs: number, apis?: readonly string[]): void {
    const until = this.clock() + forMs;
    if (apis === undefined) {
      this.allUntil = Math.max(this.allUntil, until);
      return;
    }
    for (const api of apis) this.apiUntil.set(api, Math.max(this.apiUntil.get(api) ?? 0, until));
  }

  throttleNext(calls: number, apis?: readonly string[]): void {
    this.counted.push({ remaining: calls, apis: apis ? new Set(apis) : undefined });
  }

  isThrottled(operation: string): boolean {
    const now = this.clock();
    if (now < this.allUntil || now < (this.apiUntil.get(operation) ?? 0)) return true;
    const fault = this.counted.find((f) => f.remaining > 0 && (!f.apis || f.apis.has(operation)));
    if (!fault) return false;
    fault.remaining -= 1;
    this.injectedCount += 1;
    return true;
  }

  /** Calls answered with an injected `throttleNext()` fault so far. */
  get injected(): number {
    return this.injectedCount;
  }

  /** Injected faults not yet consumed by a call. */
  get pending(): number {
    return this.counted.reduce((sum, f) => sum + f.remaining, 0);
  }

  reset(): void {
    this.allUntil = 0;
    this.apiUntil.clear();
    this.counted.length = 0;
    this.injectedCount = 0;
  }
}
