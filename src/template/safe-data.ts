/**
 * The data a template sees: read-only proxies over the variables that expose
 * only own data properties of plain objects and arrays (never `constructor`,
 * `__proto__` or anything inherited), throw UnknownValueError as soon as an
 * unknown value is touched, and remember the last lookup so a failure can
 * name the variable. (Mappings and lists are rendered as JSON by the output helper.)
 */
import { isUnknown, UnknownValueError } from '../expr/unknown.ts';
import { DENIED_NAMES, isPlainObject } from '../expr/values.ts';

/** What a data proxy turns into when handlebars coerces it to a primitive. */
export const OPAQUE = '[object data]';

export interface LastAccess {
  path: string;
  /** The property did not exist (or is not reachable). */
  missing: boolean;
}

export function joinPath(parent: string, key: string, parentIsList: boolean): string {
  if (parent === '') return key;
  return parentIsList ? `${parent}[${key}]` : `${parent}.${key}`;
}

function pathOf(parent: string, key: string | undefined, inList: boolean): string {
  return key === undefined ? parent : joinPath(parent, key, inList);
}

const MISSING: unique symbol = Symbol('missing');

/** An own data property, or MISSING (inherited, denied, or a function). */
function own(target: object, key: string): unknown {
  if (DENIED_NAMES.has(key) || !Object.hasOwn(target, key)) return MISSING;
  const value: unknown = (target as Record<string, unknown>)[key];
  return typeof value === 'function' ? MISSING : value;
}

/** One render's view of the variables. */
export class SafeData {
  // The last lookup, kept as parts so that recording it costs nothing.
  private lastParent = '';
  private lastKey: string | undefined;
  private lastInList = false;
  private lastMissing = false;
  private readonly proxies = new WeakMap<object, object>();
  private readonly paths = new WeakMap<object, string>();

  /** The proxy (or primitive) for a value found at `path`. */
  wrap(value: unknown, path: string): unknown {
    return this.wrapChild(value, path, undefined, false);
  }

  /** wrap() for `parent[key]`; the path string is only built when needed. */
  wrapChild(value: unknown, parent: string, key: string | undefined, inList: boolean): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (isUnknown(value)) {
      const path = pathOf(parent, key, inList);
      throw new UnknownValueError(`'${path}' is unknown until the task that sets it runs`, [path]);
    }
    if (!Array.isArray(value) && !isPlainObject(value)) return value;
    const cached = this.proxies.get(value);
    if (cached) return cached;
    const path = pathOf(parent, key, inList);
    const proxy = this.makeProxy(value, path);
    this.proxies.set(value, proxy);
    this.paths.set(proxy, path);
    return proxy;
  }

  /** The variable path a proxy was reached by ('' for the root). */
  pathOf(value: unknown): string | undefined {
    return typeof value === 'object' && value !== null ? this.paths.get(value) : undefined;
  }

  private makeProxy(real: object, path: string): object {
    return new Proxy(Array.isArray(real) ? [] : Object.create(null), new DataHandler(this, real, path));
  }

  /** @internal Called by the proxies: record a lookup for error messages. */
  record(parent: string, key: string, inList: boolean, missing: boolean): void {
    this.lastParent = parent;
    this.lastKey = key;
    this.lastInList = inList;
    this.lastMissing = missing;
  }

  /** The last property looked up, to name the variable when a lookup fails. */
  get last(): LastAccess | undefined {
    if (this.lastKey === undefined) return undefined;
    return { path: joinPath(this.lastParent, this.lastKey, this.lastInList), missing: this.lastMissing };
  }
}

/** Proxy traps over one object. A class (not closures) keeps creating proxies cheap. */
class DataHandler implements ProxyHandler<object> {
  private readonly data: SafeData;
  private readonly real: object;
  private readonly path: string;
  private readonly isList: boolean;

  constructor(data: SafeData, real: object, path: string) {
    this.data = data;
    this.real = real;
    this.path = path;
    this.isList = Array.isArray(real);
  }

  get(_target: object, key: string | symbol): unknown {
    if (typeof key === 'symbol') {
      // handlebars compares and concatenates contexts internally (`context != depths[0]`, error
      // messages); that must neither walk the data nor fail. Output goes through the output helper.
      return key === Symbol.toPrimitive ? opaque : undefined;
    }
    const value = own(this.real, key);
    this.data.record(this.path, key, this.isList, value === MISSING);
    return value === MISSING ? undefined : this.data.wrapChild(value, this.path, key, this.isList);
  }

  has(_target: object, key: string | symbol): boolean {
    if (typeof key === 'symbol') return false;
    const found = own(this.real, key) !== MISSING;
    this.data.record(this.path, key, this.isList, !found);
    return found;
  }

  ownKeys(): string[] {
    const keys = Object.keys(this.real).filter((k) => own(this.real, k) !== MISSING);
    return this.isList ? [...keys, 'length'] : keys;
  }

  getOwnPropertyDescriptor(_target: object, key: string | symbol): PropertyDescriptor | undefined {
    if (typeof key === 'symbol') return undefined;
    if (this.isList && key === 'length') {
      return { value: (this.real as unknown[]).length, writable: true, enumerable: false, configurable: false };
    }
    const value = own(this.real, key);
    if (value === MISSING) return undefined;
    return { value: this.data.wrapChild(value, this.path, key, this.isList), writable: false, enumerable: true, configurable: true };
  }

  set(): boolean {
    return false;
  }
  defineProperty(): boolean {
    return false;
  }
  deleteProperty(): boolean {
    return false;
  }
  setPrototypeOf(): boolean {
    return false;
  }
}

function opaque(): string {
  return OPAQUE;
}
