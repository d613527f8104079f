package io.redcompress.connect.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadInfo;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import com.sun.management.OperatingSystemMXBean;
import com.sun.management.ThreadMXBean;

/**
 * CPU time of chosen threads of this JVM between {@link #start} and {@link #stop}, from {@link ThreadMXBean}, for a
 * bench whose broker, worker and client share one JVM. A classifier names the group a thread counts in (e.g. "task",
 * "lettuce") or null for threads that do not count. Every thread's CPU time is read at the start; a sampler thread
 * reads them again every {@code interval}, so a thread that ends before the stop still counts up to its last sample
 * (and is reported as ended); a thread counts in the group its name matched at any sample, also after a rename (a
 * worker's pool thread takes the task's name only while it runs the task). The same sampler keeps the highest heap
 * use seen. The sampler's own CPU counts nowhere.
 */
final class CpuMeter {

    /** Names the group a thread's CPU time counts in, or null. */
    interface Classifier {
        String group(long threadId, String threadName);
    }

    /** What one measurement found. */
    record Report(Map<String, Long> nanosByGroup, int threadsCounted, int threadsEnded, long heapMaxBytes,
                  long processCpuNanos, Map<String, Long> countedNanosByName, Map<String, Long> otherNanosByName,
                  long inFlightRecordsMax, long inFlightBytesMax) {

        long countedNanos() {
            return nanosByGroup.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private record Seen(String group, String name, long cpuNanos) {
    }

    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
    private static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();
    private static final OperatingSystemMXBean OS = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final Classifier classifier;
    private final Map<Long, Long> cpuAtStart = new HashMap<>();
    private final Map<Long, Seen> seen = new ConcurrentHashMap<>();
    private final long processCpuAtStart;
    private final Thread sampler;
    private volatile boolean running = true;
    private volatile long heapMax;
    private volatile long inFlightRecordsMax;
    private volatile long inFlightBytesMax;

    private CpuMeter(Classifier classifier, long intervalMillis) {
        this.classifier = classifier;
        long[] ids = THREADS.getAllThreadIds();
        long[] cpu = THREADS.getThreadCpuTime(ids);
        for (int i = 0; i < ids.length; i++) {
            if (cpu[i] >= 0) {
                cpuAtStart.put(ids[i], cpu[i]);
            }
        }
        this.processCpuAtStart = OS.getProcessCpuTime();
        sample();
        this.sampler = new Thread(() -> {
            while (running) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(intervalMillis));
                sample();
            }
        }, "bench-cpu-meter");
        sampler.setDaemon(true);
        sampler.start();
    }

    static CpuMeter start(Classifier classifier, long intervalMillis) {
        if (!THREADS.isThreadCpuTimeEnabled()) {
            THREADS.setThreadCpuTimeEnabled(true);
        }
        return new CpuMeter(classifier, intervalMillis);
    }

    private void sample() {
        long[] ids = THREADS.getAllThreadIds();
        ThreadInfo[] infos = THREADS.getThreadInfo(ids, 0);
        long[] cpu = THREADS.getThreadCpuTime(ids);
        for (int i = 0; i < ids.length; i++) {
            if (infos[i] == null || cpu[i] < 0) {
                continue;
            }
            String name = infos[i].getThreadName();
            String group = classifier.group(ids[i], name);
            long nanos = cpu[i];
            seen.compute(ids[i], (id, before) -> new Seen(group != null ? group : before == null ? null : before.group(),
                    before != null && before.group() != null && group == null ? before.name() : name, nanos));
        }
        heapMax = Math.max(heapMax, MEMORY.getHeapMemoryUsage().getUsed());
        inFlightRecordsMax = Math.max(inFlightRecordsMax, pluginMetricSum("records-in-flight"));
        inFlightBytesMax = Math.max(inFlightBytesMax, pluginMetricSum("bytes-in-flight"));
    }

    /** A connector plugin metric summed over every task that publishes it (JMX, kafka.connect:type=plugins). */
    private static long pluginMetricSum(String attribute) {
        long sum = 0;
        try {
            for (ObjectName task : JMX.queryNames(new ObjectName("kafka.connect:type=plugins,*"), null)) {
                try {
                    Object value = JMX.getAttribute(task, attribute);
                    if (value instanceof Number number) {
                        sum += number.longValue();
                    }
                } catch (JMException e) {
                    // a plugin without this metric (the do-nothing sink)
                }
            }
        } catch (JMException e) {
            return 0;
        }
        return sum;
    }

    /** A last sample, then the CPU time of each group since the start; the sampler ends. */
    Report stop() throws InterruptedException {
        running = false;
        sampler.join();
        sample();
        long processCpu = OS.getProcessCpuTime() - processCpuAtStart;
        Set<Long> alive = new HashSet<>();
        for (long id : THREADS.getAllThreadIds()) {
            alive.add(id);
        }
        Map<String, Long> byGroup = new TreeMap<>();
        Map<String, Long> countedByName = new HashMap<>();
        Map<String, Long> others = new HashMap<>();
        int counted = 0;
        int ended = 0;
        for (Map.Entry<Long, Seen> entry : seen.entrySet()) {
            Seen thread = entry.getValue();
            long delta = thread.cpuNanos() - cpuAtStart.getOrDefault(entry.getKey(), 0L);
            // digits folded, so a pool's threads add up under one name
            String name = thread.name().replaceAll("[0-9]+", "N");
            if (thread.group() == null) {
                others.merge(name, delta, Long::sum);
                continue;
            }
            countedByName.merge(thread.group() + ": " + name, delta, Long::sum);
            counted++;
            if (!alive.contains(entry.getKey())) {
                ended++;
            }
            byGroup.merge(thread.group(), delta, Long::sum);
        }
        return new Report(byGroup, counted, ended, heapMax, processCpu, countedByName, others, inFlightRecordsMax,
                inFlightBytesMax);
    }
}
