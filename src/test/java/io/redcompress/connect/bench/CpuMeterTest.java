package io.redcompress.connect.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class CpuMeterTest {

    private static final long BURN_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    @Test
    void aThreadThatEndsBeforeTheStopCountsUpToItsLastSampleAndIsReportedAsEnded() throws Exception {
        CpuMeter meter = CpuMeter.start((id, name) -> name.equals("burner") ? "burn" : null, 10);
        Thread burner = new Thread(CpuMeterTest::burn, "burner");
        burner.start();
        burner.join();
        Thread.sleep(50);

        CpuMeter.Report report = meter.stop();

        assertThat(report.nanosByGroup().get("burn")).isGreaterThan(BURN_NANOS * 3 / 4);
        assertThat(report.threadsCounted()).isEqualTo(1);
        assertThat(report.threadsEnded()).isEqualTo(1);
    }

    @Test
    void aThreadCountsInTheGroupItsNameMatchedEvenAfterARenameAndOnlyWhatItSpentSinceTheStart() throws Exception {
        Thread worker = new Thread(() -> {
            burn();
            Thread.currentThread().setName("task-thread-x-0");
            burn();
            Thread.currentThread().setName("pool-1-thread-1");
        }, "pool-1-thread-1");
        worker.start();
        CpuMeter meter = CpuMeter.start((id, name) -> name.startsWith("task-thread-x-") ? "task" : null, 10);
        worker.join();

        CpuMeter.Report report = meter.stop();

        assertThat(report.nanosByGroup().get("task")).isBetween(BURN_NANOS * 3 / 4, 2 * BURN_NANOS + BURN_NANOS / 4);
        assertThat(report.countedNanosByName()).containsOnlyKeys("task: task-thread-x-N");
    }

    /** {@link #BURN_NANOS} of this thread's CPU time (not wall time: the machine may be busy). */
    private static void burn() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long until = threads.getCurrentThreadCpuTime() + BURN_NANOS;
        while (threads.getCurrentThreadCpuTime() < until) {
            Thread.onSpinWait();
        }
    }
}
