import { promises as dns } from 'node:dns';

/** One DNS answer for the device endpoint. */
export interface ResolvedEndpoint {
  /** Addresses to connect to, in the order to try them. Empty answers are treated as lookup failures. */
  readonly addresses: readonly string[];
  /**
   * The first CNAME target, e.g. `abc123-ats.iot.eu-west-1.amazonaws.com` for `iot.example.com`. Route 53's
   * failover records flip this name, so when both answers carry one it decides whether the region changed;
   * the addresses behind one regional endpoint rotate and would cause needless reconnects.
   */
  readonly canonicalName?: string;
}

/** Resolves the device endpoint's host name. Injectable: tests and the drill use a switchable one. */
export type EndpointResolver = (hostname: string) => Promise<ResolvedEndpoint>;

/**
 * The system's resolver: the CNAME from the configured DNS servers (best effort), then the addresses of that
 * name (or of `hostname` when it has no CNAME) through `getaddrinfo`, as any other program on the device
 * would see them. Resolving the addresses of the CNAME target keeps both parts of the answer consistent.
 */
export function systemResolver(): EndpointResolver {
  return async (hostname) => {
    const canonicalName = await dns
      .resolveCname(hostname)
      .then((names) => names[0])
      .catch(() => undefined);
    const found = await dns.lookup(canonicalName ?? hostname, { all: true });
    return { addresses: found.map((a) => a.address), canonicalName };
  };
}

/**
 * Whether `next` points somewhere else than where the device is (or was last pointed): by CNAME when both
 * answers have one, otherwise by whether the address in use is still part of the answer.
 */
export function answerChanged(current: ResolvedEndpoint, addressInUse: string | undefined, next: ResolvedEndpoint): boolean {
  if (current.canonicalName !== undefined && next.canonicalName !== undefined) {
    return current.canonicalName.toLowerCase() !== next.canonicalName.toLowerCase();
  }
  const address = addressInUse ?? current.addresses[0];
  return address === undefined || !next.addresses.includes(address);
}
