/**
 * The shape of a call description (syzkaller's prog/types.go, in miniature): positional
 * arguments with the resource kind each consumes or the integer domain it draws from, output
 * fields with the resource kind each produces, and the generation weight. The tables
 * themselves are split by uapi (core.ts, vgem.ts) and assembled by ../calls.ts.
 */

/** Resources: values produced by one call and consumed by later ones. */
export type ResourceKind = 'fd' | 'dmabuf' | 'handle' | 'name' | 'offset' | 'map' | 'magic' | 'fence' | 'ctx' | 'seq';
export type ValueKind = ResourceKind | 'int';

export interface SymbolSet {
  readonly style: 'enum' | 'bits';
  readonly names: Readonly<Record<string, bigint>>;
}

/** A typical value, or an inclusive [lo, hi] range drawn uniformly. */
export type Typical = bigint | readonly [bigint, bigint];

/**
 * A factor of a product the kernel computes from several arguments: another argument's value,
 * or ⌈value/ceilDiv⌉ (drm_mode_create_dumb's cpp = DIV_ROUND_UP(bpp, 8)).
 */
export interface Factor {
  readonly arg: string;
  readonly ceilDiv?: bigint;
}

/**
 * "This argument times the factors lands next to a target": the kernel multiplies arguments
 * in a fixed width, so the interesting values of one depend on the others (width·bpp near 2^32
 * wraps drm_gem_shmem_dumb_create's DIV_ROUND_UP; width·cpp and height·stride near 2^32 sit on
 * drm_mode_create_dumb's overflow checks).
 */
export interface Product {
  readonly factors: readonly Factor[];
  readonly near: readonly bigint[];
  /** how far from each target the product may land, in units of the target (default 8) */
  readonly spread?: number;
}

/**
 * What an integer argument may be, as documented limits: the generic integer generator draws
 * typical values by weight and, with probability `edge`, a boundary value derived from this
 * description (the field's width wrap points, page multiples ±1 for byte counts, the limits
 * ±1, the symbol set's unknown bits, products landing next to a wrap point).
 */
export interface IntDomain {
  /** width of the uapi field the value lands in (u32 handles and sizes of dumb buffers, u64 mmap lengths) */
  readonly bits: 32 | 64;
  /** typical values and their weights (integers) */
  readonly typical: readonly (readonly [Typical, number])[];
  /** share of draws that are boundary values (default 0.05) */
  readonly edge?: number;
  /** thresholds at which the kernel's answer flips (each gives t−1, t, t+1) */
  readonly limits?: readonly bigint[];
  /** a byte count or offset: page multiples ±1 are boundaries */
  readonly bytes?: boolean;
  /** products with other arguments that should land next to a wrap point */
  readonly products?: readonly Product[];
  /** share of draws that are the size of the object the call's resources name (mmap length) */
  readonly objectSize?: number;
  /** the generator never draws above this (cost, not semantics: an access touches every byte) */
  readonly max?: bigint;
}

export interface ArgDesc {
  readonly name: string;
  readonly kind: ValueKind;
  /** Resource kinds a reference here may hold (defaults to [kind]); close() takes DRM fds and dma-buf fds. */
  readonly accepts?: readonly ResourceKind[];
  /** Resource kinds of the wrong type that the call must reject, drawn now and then instead of
   * a special value (a DRM fd given to PRIME_FD_TO_HANDLE: dma_buf_get → EINVAL). */
  readonly wrong?: readonly ResourceKind[];
  /** A per-file resource: the fd argument naming the file it is looked up in (handles live in
   * drm_file.object_idr, fences in the vgem file's idr, offsets are checked against the file by
   * drm_vma_node_is_allowed). */
  readonly owner?: string;
  readonly symbols?: SymbolSet;
  readonly domain?: IntDomain;
}

export interface OutDesc {
  readonly name: string;
  readonly kind: ValueKind;
  /** The produced resource lives in the file of this fd argument. */
  readonly owner?: string;
  /** The produced resource has the kind of the resource passed in this argument (a dup of a
   * dma-buf fd is a dma-buf fd). */
  readonly kindOf?: string;
  /** The object's size is this output field or integer argument (else it is inherited from
   * the resources the call consumed). */
  readonly sizeFrom?: string;
}

/** The uapi files calls come from; a device offers core plus its driver's (ir/devices.ts). */
export type Uapi = 'core' | 'vgem' | 'amdgpu' | 'nvdla' | 'qxl';

export interface CallDesc {
  readonly args: readonly ArgDesc[];
  readonly outs: readonly OutDesc[];
  readonly doc: string;
  /** The uapi file the call belongs to (syzkaller's sys/linux/dev_*.txt split). */
  readonly uapi: Uapi;
  /** Relative weight when the generator picks the next call. */
  readonly weight: number;
  /** Relative weight when the generator inserts it as a constructor of a missing resource
   * (default: its weight for core calls, 0 for driver calls — a driver's ioctl is a
   * constructor only where it says so). */
  readonly ctorWeight?: number;
}
