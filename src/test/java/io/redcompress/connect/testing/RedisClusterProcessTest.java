package io.redcompress.connect.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.redcompress.connect.testing.RedisClusterProcess.Migration;
import io.redcompress.connect.testing.RedisClusterProcess.Node;
import io.redcompress.connect.testing.RedisClusterProcess.Role;

class RedisClusterProcessTest {

    private static final Logger log = LoggerFactory.getLogger(RedisClusterProcessTest.class);

    private static final int KEYS = 1000;

    @Test
    void slotOfMatchesTheReferenceAndHashTags() {
        // well-known slots (the CRC16 check value: RedisSlotTest)
        assertThat(RedisClusterProcess.slotOf("foo")).isEqualTo(12182);
        assertThat(RedisClusterProcess.slotOf("bar")).isEqualTo(5061);
        assertThat(RedisClusterProcess.slotOf("")).isZero();
        // hash tags: the first {...} with something inside
        assertThat(RedisClusterProcess.slotOf("{user1000}.following"))
                .isEqualTo(RedisClusterProcess.slotOf("{user1000}.followers"))
                .isEqualTo(RedisClusterProcess.slotOf("user1000"));
        assertThat(RedisClusterProcess.slotOf("foo{}{bar}")).isNotEqualTo(RedisClusterProcess.slotOf("bar"));
        assertThat(RedisClusterProcess.slotOf("foo{{bar}}zap")).isEqualTo(RedisClusterProcess.slotOf("{bar"));
        assertThat(RedisClusterProcess.slotOf("foo{bar}{zap}")).isEqualTo(RedisClusterProcess.slotOf("bar"));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void reshardsWhileWritingAndFailsOver() throws Exception {
        List<Long> pids = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        long t0 = System.nanoTime();
        try (RedisClusterProcess cluster = RedisClusterProcess.builder().masters(3).replicasPerMaster(1).start()) {
            log.info("started in {} ms (redis {})", millisSince(t0), cluster.versionString());
            cluster.nodes().forEach(n -> {
                pids.add(n.server().pid());
                dirs.add(n.server().dir());
            });

            // ---- shape
            assertThat(cluster.nodes()).hasSize(6);
            List<Node> masters = cluster.masters();
            assertThat(masters).containsExactlyElementsOf(cluster.nodes().subList(0, 3));
            assertThat(cluster.replicas()).containsExactlyElementsOf(cluster.nodes().subList(3, 6));
            for (int m = 0; m < 3; m++) {
                Node master = masters.get(m);
                assertThat(master.role()).isEqualTo(Role.MASTER);
                assertThat(master.nodeId()).hasSize(40);
                assertThat(master.slots()).hasSizeBetween(5461, 5462);
                assertThat(cluster.replicasOf(master)).containsExactly(cluster.node(3 + m));
                assertThat(cluster.node(3 + m).master()).contains(master);
            }
            assertThat(cluster.seedUris()).isEqualTo(String.join(",",
                    cluster.nodes().stream().map(n -> "redis://127.0.0.1:" + n.port()).toList()));
            assertThat(cluster.seedUri()).isEqualTo(masters.get(0).uri());

            // ---- our slot function agrees with the server's
            try (RespClient client = masters.get(0).client()) {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int i = 0; i < 300; i++) {
                    String key = i % 3 == 0 ? "k" + random.nextLong() : i % 3 == 1 ? "{t" + i + "}x" : "é{" + i % 7 + "}" + i;
                    assertThat(RedisClusterProcess.slotOf(key)).as(key).isEqualTo(((Long) client.command("CLUSTER", "KEYSLOT", key)).intValue());
                }
            }

            // ---- 1000 keys through our redirect-following SET, spread over the masters
            for (int i = 0; i < KEYS; i++) {
                cluster.set("key:" + i, "value-" + i);
            }
            Map<Node, Long> perMaster = cluster.keysPerMaster();
            log.info("keys per master: {}", perMaster);
            assertThat(perMaster.keySet()).containsExactlyElementsOf(masters);
            assertThat(perMaster.values()).allSatisfy(count -> assertThat(count).isBetween(250L, 420L));
            assertThat(cluster.dbsize()).isEqualTo(KEYS);
            assertThat(cluster.keys("key:*")).hasSize(KEYS);
            Node served = cluster.nodeForKey("key:7");
            try (RespClient direct = served.client()) {
                assertThat(direct.getString("key:7")).isEqualTo("value-7");
            }

            // ---- live resharding while Lettuce keeps writing
            Node source = masters.get(0);
            Node target = masters.get(1);
            int sourceKeysBefore = keysOn(source, "key:*");
            AtomicInteger written = new AtomicInteger();
            AtomicReference<Throwable> writerFailure = new AtomicReference<>();
            List<RedisURI> seeds = new ArrayList<>();
            for (String uri : cluster.seedUris().split(",")) {
                seeds.add(RedisURI.create(uri));
            }
            RedisClusterClient lettuce = RedisClusterClient.create(seeds);
            Migration migration;
            try (StatefulRedisClusterConnection<String, String> connection = lettuce.connect()) {
                RedisAdvancedClusterCommands<String, String> sync = connection.sync();
                Thread writer = new Thread(() -> {
                    try {
                        while (!Thread.currentThread().isInterrupted()) {
                            int i = written.get();
                            sync.set("w:" + i, "written-" + i);
                            written.incrementAndGet();
                            // also overwrite existing keys, some of which are being migrated
                            sync.set("key:" + i % KEYS, "value-" + i % KEYS);
                        }
                    } catch (Throwable e) {
                        if (!Thread.currentThread().isInterrupted()) {
                            writerFailure.set(e);
                        }
                    }
                }, "cluster-writer");
                writer.start();
                try {
                    long t1 = System.nanoTime();
                    migration = cluster.migrateHalfOfSlots(source, target);
                    log.info("migrated {} slots / {} keys in {} ms while {} keys were written",
                            migration.slots().size(), migration.keysMoved(), millisSince(t1), written.get());
                } finally {
                    // stop between two commands: the writer only checks the flag after an acknowledged SET
                    writer.interrupt();
                    writer.join(10_000);
                }
            } finally {
                lettuce.shutdown();
            }
            assertThat(writerFailure.get()).isNull();
            assertThat(migration.slots()).hasSizeBetween(2730, 2731);
            assertThat(migration.keysMoved()).isPositive();
            assertThat(source.slots()).hasSizeBetween(2730, 2731);
            assertThat(target.slots()).hasSize(5461 + migration.slots().size());
            int wrote = written.get();
            assertThat(wrote).as("writes during the migration").isPositive();
            // the writer may have been interrupted after its last acknowledged "w:" write
            long total = cluster.dbsize();
            assertThat(total).isBetween((long) KEYS + wrote, (long) KEYS + wrote + 1);
            for (int i = 0; i < KEYS; i++) {
                assertThat(cluster.getString("key:" + i)).isEqualTo("value-" + i);
            }
            for (int i = 0; i < wrote; i++) {
                assertThat(cluster.getString("w:" + i)).isEqualTo("written-" + i);
            }
            assertThat(keysOn(source, "key:*")).isLessThan(sourceKeysBefore);
            for (int slot : migration.slots()) {
                assertThat(cluster.nodeForSlot(slot)).isSameAs(target);
            }

            // ---- failover of the third master
            Node victim = masters.get(2);
            Node replica = cluster.replicasOf(victim).get(0);
            Map<String, String> victimKeys = new HashMap<>();
            for (String key : cluster.keys("*")) {
                if (cluster.nodeForKey(key) == victim) {
                    victimKeys.put(key, cluster.getString(key));
                }
            }
            assertThat(victimKeys).isNotEmpty();
            try (RespClient client = victim.client()) {
                assertThat((Long) client.command("WAIT", "1", "5000")).isEqualTo(1L);
            }
            long t2 = System.nanoTime();
            cluster.killMaster(victim);
            Node promoted = cluster.awaitFailover(victim);
            log.info("failover took {} ms", millisSince(t2));
            assertThat(promoted).isSameAs(replica);
            assertThat(promoted.role()).isEqualTo(Role.MASTER);
            assertThat(victim.role()).isEqualTo(Role.DOWN);
            assertThat(cluster.masters()).containsExactly(source, target, promoted);
            victimKeys.forEach((key, value) -> {
                assertThat(cluster.nodeForKey(key)).isSameAs(promoted);
                assertThat(cluster.getString(key)).isEqualTo(value);
            });
            assertThat(cluster.dbsize()).isEqualTo(total);

            // ---- the old master comes back as a replica of its successor
            long t3 = System.nanoTime();
            cluster.restart(victim);
            log.info("restart and rejoin took {} ms", millisSince(t3));
            assertThat(victim.role()).isEqualTo(Role.REPLICA);
            assertThat(victim.master()).contains(promoted);
            assertThat(cluster.getString("key:1")).isEqualTo("value-1");
            pids.set(victim.index(), victim.server().pid());
        }
        log.info("whole cluster test took {} ms", millisSince(t0));
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("pid " + pid).isEmpty();
        }
        assertThat(dirs).allSatisfy(dir -> assertThat(dir).doesNotExist());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void passwordProtectedClusterMigratesWithAuth() {
        try (RedisClusterProcess cluster = RedisClusterProcess.builder().masters(3).password("s3cret").start()) {
            for (int i = 0; i < 200; i++) {
                cluster.set("{tag" + i % 20 + "}:" + i, new byte[] {(byte) i, 0, '\r', '\n'});
            }
            try (RespClient anonymous = RespClient.connect("127.0.0.1", cluster.node(0).port())) {
                assertThatThrownBy(anonymous::dbsize)
                        .isInstanceOfSatisfying(RedisErrorReply.class, e -> assertThat(e.code()).isEqualTo("NOAUTH"));
            }
            Node source = cluster.node(0);
            Node target = cluster.node(2);
            List<Integer> sourceSlots = source.slots();
            int first = sourceSlots.get(0);
            Migration migration = cluster.migrateSlots(first, first + 999, source, target);
            assertThat(migration.slots()).hasSize(1000);
            assertThat(migration.keysMoved()).isPositive();
            assertThat(source.slots()).hasSize(sourceSlots.size() - 1000);
            assertThat(cluster.dbsize()).isEqualTo(200);
            for (int i = 0; i < 200; i++) {
                assertThat(cluster.get("{tag" + i % 20 + "}:" + i)).containsExactly((byte) i, 0, '\r', '\n');
            }
            // a slot not served by the source is refused
            assertThatThrownBy(() -> cluster.migrateSlots(first, first, source, target))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not by");
        }
    }

    private static int keysOn(Node node, String pattern) {
        try (RespClient client = node.client()) {
            return client.keys(pattern).size();
        }
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
