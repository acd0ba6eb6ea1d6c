// Runs a command and turns an exception escaping it into an internal-error report: bad input
// always gets a diagnostic, so an exception here is a bug in muc and says so.

/** Exit code of an internal error, distinct from 1 (the input has errors). */
export const INTERNAL_ERROR = 2;

type Write = (s: string) => void;
const stderrWrite: Write = (s) => process.stderr.write(s);

export function guard(action: () => number, stderr: Write = stderrWrite): number {
  try {
    return action();
  } catch (err) {
    return internalError(err, stderr);
  }
}

export async function guardAsync(action: () => Promise<number>, stderr: Write = stderrWrite): Promise<number> {
  try {
    return await action();
  } catch (err) {
    return internalError(err, stderr);
  }
}

function internalError(err: unknown, stderr: Write): number {
  const e = err instanceof Error ? err : new Error(String(err));
  stderr(`muc: internal error: ${e.message}\nThis is a bug in muc, not in your program; please report it with the input.\n`);
  stderr(process.env['MUC_DEBUG'] ? `${e.stack}\n` : 'Run with MUC_DEBUG=1 to see where it happened.\n');
  return INTERNAL_ERROR;
}
