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

/** The whole in-memory registry of one region. Entity modules own the rules; this only holds data. */
export class RegistryState {
  readonly things = new Map<string, ThingRecord>();
  readonly thingTypes = new Map<string, ThingTypeRecord>();
  readonly thingGroups = new Map<string, ThingGroupRecord>();
  private readonly memberships = new Map<string, MembershipRecord>();

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
  }
}

function membershipKey(groupName: string, thingName: string): string {
  return `${groupName}\u0000${thingName}`;
}
