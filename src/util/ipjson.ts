/**
 * iproute2's JSON (`ip -j link|addr|route`): the fields kvplay reads, and one parser. What a host
 * prints is host data: every field may be missing, and entries that are not objects are dropped.
 */
export interface IpAddrInfo {
  family?: string;
  local?: string;
  prefixlen?: number;
  broadcast?: string;
  scope?: string;
}

export interface IpLink {
  ifname?: string;
  address?: string;
  mtu?: number;
  flags?: string[];
  link_type?: string;
  linkinfo?: { info_kind?: string };
  promiscuity?: number;
  master?: string;
  addr_info?: IpAddrInfo[];
}

export interface IpRoute {
  dst?: string;
  dev?: string;
  gateway?: string;
  prefsrc?: string;
}

/** The list `ip -j` printed; [] for empty output, text that is no JSON, or JSON that is no list. */
export function ipJson<T extends IpLink | IpRoute>(text: string): T[] {
  let v: unknown;
  try {
    v = JSON.parse(text || '[]');
  } catch {
    return [];
  }
  return Array.isArray(v) ? v.filter((x): x is T => !!x && typeof x === 'object' && !Array.isArray(x)) : [];
}
