// Which tensor-IR primitives are scalar operations of the kernel IR, and under which name.
// Elementwise primitives keep their names, so a kernel expression reads like the graph it came from.
import type { PrimName } from '../ir/prims.ts';
import type { BinaryOp, Expr, UnaryOp } from './ir.ts';

const UNARY_OPS: readonly UnaryOp[] = [
  'neg', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'relu', 'silu', 'gelu', 'sin', 'cos', 'abs', 'sign', 'floor', 'logical_not',
];
const BINARY_OPS: readonly BinaryOp[] = [
  'add', 'sub', 'mul', 'div', 'mod', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logical_and', 'logical_or',
];

const UNARY: ReadonlySet<string> = new Set(UNARY_OPS);
const BINARY: ReadonlySet<string> = new Set(BINARY_OPS);

export const isUnary = (op: string): op is UnaryOp => UNARY.has(op);
export const isBinary = (op: string): op is BinaryOp => BINARY.has(op);

export type UnaryExpr = Extract<Expr, { op: UnaryOp }>;
export type BinaryExpr = Extract<Expr, { op: BinaryOp }>;
export const isUnaryExpr = (e: Expr): e is UnaryExpr => isUnary(e.op);
export const isBinaryExpr = (e: Expr): e is BinaryExpr => isBinary(e.op);

/** Primitives computed one element at a time from the same element of each input. */
export function isElementwise(op: PrimName): boolean {
  return isUnary(op) || isBinary(op) || op === 'where' || op === 'cast' || op === 'stop_gradient';
}

/** Transcendental and division-like operations: several cheap operations' worth of ALU time each. */
const COSTLY: ReadonlySet<string> = new Set(['exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'silu', 'gelu', 'sin', 'cos', 'div', 'mod', 'pow']);
export const isCostly = (op: string): boolean => COSTLY.has(op);
