// The host functions Wasm kernels import (module "math"), typed against the code generator's list.
// They live in host_math.js, which the worker threads load too.
import type { HostImport } from '../../compiler/codegen/wasm/index.ts';
import { HOST_MATH as MATH } from './host_math.js';

export const HOST_MATH: Readonly<Record<HostImport, (...xs: number[]) => number>> = MATH;
