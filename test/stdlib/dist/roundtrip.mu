-- Collectives on leaves with leading axes and sizes that no rank count divides.
fn roundtrip(s: f32[2, 5, 7], x: f32[5, 7]) -> (f32[2, 5, 7], f32[5, 7], f32[5, 7]) {
  let whole = comm.all_gather(comm.shard(s, like = x), like = s)
  let summed = comm.all_gather(comm.reduce_scatter(x, op = "sum"), like = x)
  let r = f32(comm.rank())
  let mean = comm.all_reduce(x * (r + 1.0))
  return (whole, summed, mean)
}
