import type { Attributes } from './attributes';

/** Times are epoch milliseconds from the emulator clock; responses convert them to AWS's epoch seconds. */

export interface ThingRecord {
  readonly name: string;
  readonly id: string;
  readonly arn: string;
  typeName: string | undefined;
  attributes: Attributes;
  version: number;
}

export interface PropagatingAttribute {
  readonly userPropertyKey?: string;
  readonly thingAttribute?: string;
  readonly connectionAttribute?: string;
}

export interface ThingTypeRecord {
  readonly name: string;
  readonly id: string;
  readonly arn: string;
  readonly description: string | undefined;
  readonly searchableAttributes: readonly string[] | undefined;
  readonly propagatingAttributes: readonly PropagatingAttribute[] | undefined;
  readonly creationDate: number;
  deprecated: boolean;
  deprecationDate: number | undefined;
}

export interface ThingGroupRecord {
  readonly name: string;
  readonly id: string;
  readonly arn: string;
  /** Fixed at creation: AWS does not let a group change parent. */
  readonly parentName: string | undefined;
  readonly creationDate: number;
  description: string | undefined;
  attributes: Attributes;
  version: number;
}

export interface MembershipRecord {
  readonly groupName: string;
  readonly thingName: string;
  readonly membershipId: string;
}

export type CertificateStatus =
  | 'ACTIVE'
  | 'INACTIVE'
  | 'REVOKED'
  | 'PENDING_TRANSFER'
  | 'REGISTER_INACTIVE'
  | 'PENDING_ACTIVATION';
export type CertificateMode = 'DEFAULT' | 'SNI_ONLY';

export interface CertificateRecord {
  /** Lowercase hex SHA-256 of the DER bytes: the same PEM has the same id in every region. */
  readonly id: string;
  readonly arn: string;
  readonly pem: string;
  readonly caCertificateId: string | undefined;
  readonly certificateMode: CertificateMode;
  readonly creationDate: number;
  status: CertificateStatus;
  lastModifiedDate: number;
  customerVersion: number;
  generationId: string;
}

export interface CaCertificateRecord {
  readonly id: string;
  readonly arn: string;
  readonly pem: string;
  readonly certificateMode: CertificateMode;
  readonly creationDate: number;
  status: 'ACTIVE' | 'INACTIVE';
  autoRegistrationStatus: 'ENABLE' | 'DISABLE';
  registrationConfig: { templateBody?: string; roleArn?: string; templateName?: string } | undefined;
  lastModifiedDate: number;
  customerVersion: number;
  generationId: string;
}

export interface PolicyVersionRecord {
  readonly id: string;
  readonly document: string;
  readonly createDate: number;
}

export interface PolicyRecord {
  readonly name: string;
  readonly arn: string;
  readonly creationDate: number;
  readonly versions: Map<string, PolicyVersionRecord>;
  defaultVersionId: string;
  /** Version ids count up and are never reused, as in AWS. */
  nextVersionId: number;
  lastModifiedDate: number;
  generationId: string;
}

export interface ProvisioningHook {
  readonly targetArn: string;
  readonly payloadVersion: string | undefined;
}

export interface ProvisioningTemplateVersionRecord {
  readonly versionId: number;
  readonly body: string;
  readonly creationDate: number;
}

export interface ProvisioningTemplateRecord {
  readonly name: string;
  readonly arn: string;
  readonly type: 'FLEET_PROVISIONING' | 'JITP';
  readonly creationDate: number;
  readonly versions: Map<number, ProvisioningTemplateVersionRecord>;
  description: string | undefined;
  enabled: boolean;
  provisioningRoleArn: string;
  preProvisioningHook: ProvisioningHook | undefined;
  defaultVersionId: number;
  nextVersionId: number;
  lastModifiedDate: number;
}

export interface RoleAliasRecord {
  readonly name: string;
  readonly arn: string;
  readonly creationDate: number;
  roleArn: string;
  credentialDurationSeconds: number;
  lastModifiedDate: number;
}

export interface ShadowRecord {
  readonly thingName: string;
  /** undefined for the classic shadow. */
  readonly shadowName: string | undefined;
  /** undefined once deleted: the record stays as a tombstone because deleting a shadow does not reset its version. */
  state: { desired?: Record<string, unknown>; reported?: Record<string, unknown> } | undefined;
  metadata: { desired?: Record<string, unknown>; reported?: Record<string, unknown> };
  version: number;
  /** Epoch ms of the last update. */
  timestamp: number;
}

export interface RetainedMessageRecord {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: number;
  readonly lastModifiedTime: number;
}

/** The whole in-memory registry of one region. Entity modules own the rules; this only holds data. */
export class RegistryState {
  readonly things = new Map<string, ThingRecord>();
  readonly thingTypes = new Map<string, ThingTypeRecord>();
  readonly thingGroups = new Map<string, ThingGroupRecord>();
  private readonly memberships = new Map<string, MembershipRecord>();
  readonly certificates = new Map<string, CertificateRecord>();
  readonly caCertificates = new Map<string, CaCertificateRecord>();
  readonly policies = new Map<string, PolicyRecord>();
  /** Policy name → target ARNs (certificate or thing group) and the reverse index. */
  private readonly policyTargets = new Map<string, Set<string>>();
  private readonly targetPolicies = new Map<string, Set<string>>();
  /** Thing name → principal ARNs and the reverse index; the attachment type per `thing\0principal`. */
  private readonly thingPrincipals = new Map<string, Set<string>>();
  private readonly principalThings = new Map<string, Set<string>>();
  readonly exclusivePrincipals = new Set<string>();
  readonly provisioningTemplates = new Map<string, ProvisioningTemplateRecord>();
  readonly roleAliases = new Map<string, RoleAliasRecord>();
  /** Keyed by `thing\0shadowName` ('' for the classic shadow). */
  readonly shadows = new Map<string, ShadowRecord>();
  readonly retainedMessages = new Map<string, RetainedMessageRecord>();

  membership(groupName: string, thingName: string): MembershipRecord | undefined {
    return this.memberships.get(membershipKey(groupName, thingName));
  }

  addMembership(record: MembershipRecord): void {
    this.memberships.set(membershipKey(record.groupName, record.thingName), record);
  }

  removeMembership(groupName: string, thingName: string): boolean {
    return this.memberships.delete(membershipKey(groupName, thingName));
  }

  allMemberships(): MembershipRecord[] {
    return [...this.memberships.values()];
  }

  membershipsOfThing(thingName: string): MembershipRecord[] {
    return this.allMemberships().filter((m) => m.thingName === thingName);
  }

  membershipsOfGroup(groupName: string): MembershipRecord[] {
    return this.allMemberships().filter((m) => m.groupName === groupName);
  }

  attachPolicy(policyName: string, target: string): void {
    addToIndex(this.policyTargets, policyName, target);
    addToIndex(this.targetPolicies, target, policyName);
  }

  detachPolicy(policyName: string, target: string): boolean {
    removeFromIndex(this.targetPolicies, target, policyName);
    return removeFromIndex(this.policyTargets, policyName, target);
  }

  targetsOfPolicy(policyName: string): string[] {
    return [...(this.policyTargets.get(policyName) ?? [])];
  }

  policiesOfTarget(target: string): string[] {
    return [...(this.targetPolicies.get(target) ?? [])];
  }

  allPolicyAttachments(): Array<[string, string]> {
    return [...this.policyTargets].flatMap(([policy, targets]) => [...targets].map((t): [string, string] => [policy, t]));
  }

  attachThingPrincipal(thingName: string, principal: string, exclusive: boolean): void {
    addToIndex(this.thingPrincipals, thingName, principal);
    addToIndex(this.principalThings, principal, thingName);
    if (exclusive) this.exclusivePrincipals.add(principal);
  }

  detachThingPrincipal(thingName: string, principal: string): boolean {
    removeFromIndex(this.thingPrincipals, thingName, principal);
    const removed = removeFromIndex(this.principalThings, principal, thingName);
    if (!this.principalThings.has(principal)) this.exclusivePrincipals.delete(principal);
    return removed;
  }

  principalsOfThing(thingName: string): string[] {
    return [...(this.thingPrincipals.get(thingName) ?? [])];
  }

  thingsOfPrincipal(principal: string): string[] {
    return [...(this.principalThings.get(principal) ?? [])];
  }

  allThingPrincipals(): Array<[string, string]> {
    return [...this.thingPrincipals].flatMap(([thing, principals]) => [...principals].map((p): [string, string] => [thing, p]));
  }

  /** Ancestors of a group, root first (the order of `rootToParentThingGroups`). */
  ancestorsOf(group: ThingGroupRecord): ThingGroupRecord[] {
    const ancestors: ThingGroupRecord[] = [];
    let parentName = group.parentName;
    while (parentName !== undefined) {
      const parent = this.thingGroups.get(parentName);
      if (parent === undefined) break;
      ancestors.unshift(parent);
      parentName = parent.parentName;
    }
    return ancestors;
  }

  childrenOf(groupName: string): ThingGroupRecord[] {
    return [...this.thingGroups.values()].filter((g) => g.parentName === groupName);
  }

  descendantsOf(groupName: string): ThingGroupRecord[] {
    return this.childrenOf(groupName).flatMap((child) => [child, ...this.descendantsOf(child.name)]);
  }

  clear(): void {
    this.things.clear();
    this.thingTypes.clear();
    this.thingGroups.clear();
    this.memberships.clear();
    this.certificates.clear();
    this.caCertificates.clear();
    this.policies.clear();
    this.policyTargets.clear();
    this.targetPolicies.clear();
    this.thingPrincipals.clear();
    this.principalThings.clear();
    this.exclusivePrincipals.clear();
    this.provisioningTemplates.clear();
    this.roleAliases.clear();
    this.shadows.clear();
    this.retainedMessages.clear();
  }
}

function membershipKey(groupName: string, thingName: string): string {
  return `${groupName}\u0000${thingName}`;
}

function addToIndex(index: Map<string, Set<string>>, key: string, value: string): void {
  let values = index.get(key);
  if (values === undefined) {
    values = new Set();
    index.set(key, values);
  }
  values.add(value);
}

function removeFromIndex(index: Map<string, Set<string>>, key: string, value: string): boolean {
  const values = index.get(key);
  if (values === undefined) return false;
  const removed = values.delete(value);
  if (values.size === 0) index.delete(key);
  return removed;
}
