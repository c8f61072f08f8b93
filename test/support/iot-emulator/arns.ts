/** Builds and parses the ARNs the registry hands out, so handlers can accept names or ARNs alike. */
export class ArnFactory {
  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {}

  thing(name: string): string {
    return this.arn('thing', name);
  }

  thingType(name: string): string {
    return this.arn('thingtype', name);
  }

  thingGroup(name: string): string {
    return this.arn('thinggroup', name);
  }

  /** The resource name in an ARN of this region and account, or undefined if it is not one. */
  nameFrom(arn: string, resourceType: 'thing' | 'thingtype' | 'thinggroup'): string | undefined {
    const prefix = this.arn(resourceType, '');
    return arn.startsWith(prefix) && arn.length > prefix.length ? arn.slice(prefix.length) : undefined;
  }

  private arn(resourceType: string, name: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:${resourceType}/${name}`;
  }
}
