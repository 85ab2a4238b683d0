/** After 20,000 governed file reads and a full GC: the heap and non-heap in use (run with and without the agent). */
import java.nio.file.*;
public class Heap { public static void main(String[] a) throws Exception {
  Path p = Path.of(a[0]);
  for (int i = 0; i < 20000; i++) { Files.readAllBytes(p); }
  for (int i = 0; i < 3; i++) { System.gc(); Thread.sleep(100); }
  Runtime r = Runtime.getRuntime();
  var mem = java.lang.management.ManagementFactory.getMemoryMXBean();
  System.out.printf("heap used %.1f MiB, non-heap used %.1f MiB%n", (r.totalMemory() - r.freeMemory()) / 1048576.0, mem.getNonHeapMemoryUsage().getUsed() / 1048576.0);
} }
