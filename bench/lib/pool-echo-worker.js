// Worker of pool-round-trip.js: hands the task back, so only the pool's messaging is measured.
export default function echo(task) {
  return task;
}
