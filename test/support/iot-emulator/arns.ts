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

  certificate(id: string): string {
    return this.arn('cert', id);
  }

  caCertificate(id: string): string {
    return this.arn('cacert', id);
  }

  policy(name: string): string {
    return this.arn('policy', name);
  }

  provisioningTemplate(name: string): string {
    return this.arn('provisioningtemplate', name);
  }

  roleAlias(name: string): string {
    return this.arn('rolealias', name);
  }

  /** `arn:aws:iot:<region>:<account>:` — the prefix identity snapshots normalise away. */
  get prefix(): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:`;
  }

  /** The resource name in an ARN of this region and account, or undefined if it is not one. */
  nameFrom(arn: string, resourceType: 'thing' | 'thingtype' | 'thinggroup' | 'cert'): string | undefined {
    const prefix = this.arn(resourceType, '');
    return arn.startsWith(prefix) && arn.length > prefix.length ? arn.slice(prefix.length) : undefined;
  }

  private arn(resourceType: string, name: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:${resourceType}/${name}`;
  }
}
