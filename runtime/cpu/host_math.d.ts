// Types of host_math.js (plain JavaScript, so worker threads load it without a TypeScript loader).
export declare const HOST_MATH: Readonly<Record<'exp' | 'log' | 'tanh' | 'sin' | 'cos' | 'pow' | 'fmod' | 'ipow', (...xs: number[]) => number>>;
