package io.redcompress.connect.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.util.clusters.WorkerHandle;
import org.awaitility.core.ThrowingRunnable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.testing.RespClient;

/**
 * The task's lifecycle under load: pause/resume, restart, delete and re-create, a worker going away and a
 * rebalance, each while records are still flowing (small polls, so batches are in flight when the operation lands).
 * Every test ends with the {@link StreamOracle}: Redis holds exactly the last write of every key, the dead-letter
 * topic exactly the undecodable records, and what was committed was acknowledged. Committed offsets are sampled after
 * every operation: they never go backwards and are believable at each sample.
 */
class TaskLifecycleIT {

    private static final Logger log = LoggerFactory.getLogger(TaskLifecycleIT.class);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int CHUNK = 1_200;
    /** Records produced per poll while waiting for tasks and partitions to move. */
    private static final int TRICKLE = 100;
    private static final int KEYS = 300;
    private static final int UNDECODABLE_EVERY = 97;

    private static ConnectAndRedis cluster;
    private static RespClient redis;
    /** One admin client for the frequent offset reads, so that reading them does not delay the operations. */
    private static Admin admin;
    private final List<String> connectors = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        cluster = ConnectAndRedis.start("lifecycle-it", worker -> {
            // tasks of a worker that left are reassigned after this delay (default 5 minutes)
            worker.put("scheduled.rebalance.max.delay.ms", "2000");
            // the default, stated because the configs below set consumer.override.max.poll.records
            worker.put("connector.client.config.override.policy", "All");
        });
        redis = cluster.redisClient;
        admin = cluster.connect.kafka().createAdminClient();
    }

    @AfterAll
    static void stopCluster() {
        if (admin != null) {
            admin.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void deleteConnectorsAndExtraWorkers() throws InterruptedException {
        for (String name : connectors) {
            if (cluster.connect.connectors().contains(name)) {
                cluster.connect.deleteConnector(name);
            }
        }
        while (cluster.connect.workers().size() > 1) {
            cluster.connect.removeWorker();
        }
        cluster.connect.assertions().assertExactlyNumWorkersAreUp(1, "the cluster did not go back to one worker");
    }

    @Test
    void pauseResumeRestartAndRecreateMidStreamLoseNothingAndResumeFromTheCommittedOffsets() throws Exception {
        String name = "lifecycle-ops";
        String dlq = name + "-dlq";
        StreamOracle oracle = new StreamOracle(name, 3, 11);
        Map<String, String> config = config(oracle, dlq, 3);
        cluster.connect.kafka().createTopic(oracle.topic(), 3);
        CommitTrail trail = new CommitTrail(name, oracle);

        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            start(name, config, 3);

            oracle.produce(producer, CHUNK, KEYS, UNDECODABLE_EVERY);
            trail.logLag("pause");
            cluster.connect.pauseConnector(name);
            cluster.connect.assertions().assertConnectorAndExactlyNumTasksArePaused(name, 3, "the connector did not pause");
            trail.sample("pause");
            // paused tasks get nothing: what is produced now is neither written nor committed until the resume
            Map<TopicPartition, Long> endBeforePause = oracle.endOffsets();
            long writesWhilePaused = redisWrites();
            oracle.produce(producer, CHUNK, KEYS, UNDECODABLE_EVERY);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(redisWrites()).as("Redis writes while paused").isEqualTo(writesWhilePaused);
                assertThat(committedOffsets(name, oracle.topic())).allSatisfy((tp, offset) -> assertThat(offset)
                        .as("committed offset of %s while paused", tp).isLessThanOrEqualTo(endBeforePause.getOrDefault(tp, 0L)));
            });

            cluster.connect.resumeConnector(name);
            awaitTasksRunning(name, 3);
            trail.sample("resume");

            oracle.produce(producer, CHUNK, KEYS, UNDECODABLE_EVERY);
            trail.logLag("restart");
            cluster.connect.restartConnectorAndTasks(name, false, true, false);
            awaitTasksRunning(name, 3);
            trail.sample("restart of connector and tasks");

            oracle.produce(producer, CHUNK, KEYS, UNDECODABLE_EVERY);
            trail.logLag("delete");
            cluster.connect.deleteConnector(name);
            cluster.connect.assertions().assertConnectorDoesNotExist(name, "the connector was not deleted");
            awaitNoConsumerIn("connect-" + name);
            Map<TopicPartition, Long> committedAtDelete = trail.sample("delete");
            assertThat(committedAtDelete.values().stream().mapToLong(Long::longValue).sum())
                    .as("records committed before the delete").isPositive();
            long writesBeforeRecreate = redisWrites();

            oracle.produce(producer, CHUNK, KEYS, UNDECODABLE_EVERY);
            start(name, config, 3);
            trail.sample("re-create");
            oracle.produce(producer, CHUNK, KEYS, UNDECODABLE_EVERY);

            cluster.awaitCommitted(name, oracle.endOffsets(), WAIT);
            trail.sample("end");

            // the re-created connector started from the group's committed offsets: it wrote at most what lies past
            // them, where starting from scratch would have rewritten every decodable record again
            Map<TopicPartition, Long> ends = oracle.endOffsets();
            long pastCommitted = ends.entrySet().stream()
                    .mapToLong(e -> e.getValue() - committedAtDelete.getOrDefault(e.getKey(), 0L)).sum();
            long decodable = ends.values().stream().mapToLong(Long::longValue).sum() - oracle.undecodableCount();
            assertThat(pastCommitted).as("records past the offsets committed before the delete").isLessThan(decodable);
            assertThat(redisWrites() - writesBeforeRecreate).as("SET/DEL sent by the re-created connector")
                    .isLessThanOrEqualTo(pastCommitted);
        }

        oracle.assertRedisHoldsExactlyTheExpectedState(redis);
        oracle.assertDeadLetterTopicHoldsExactlyTheUndecodableRecords(cluster.connect.kafka(), dlq, false);
        oracle.assertCommittedOffsetsWereAcknowledged(cluster.committedOffsets(name), redis);
    }

    @Test
    void tasksOfAWorkerThatGoesAwayMoveAndTheStreamCompletes() throws Exception {
        String name = "lifecycle-worker-gone";
        String dlq = name + "-dlq";
        StreamOracle oracle = new StreamOracle(name, 4, 22);
        cluster.connect.kafka().createTopic(oracle.topic(), 4);
        CommitTrail trail = new CommitTrail(name, oracle);
        cluster.connect.addWorker();
        cluster.connect.assertions().assertExactlyNumWorkersAreUp(2, "the second worker did not start");

        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            start(name, config(oracle, dlq, 2), 2);

            oracle.produce(producer, CHUNK, KEYS, UNDECODABLE_EVERY);
            ConnectorStateInfo before = cluster.connect.connectorStatus(name);
            int gonePort = port(before.tasks().get(0).workerId());
            WorkerHandle running = cluster.connect.workers().stream().filter(w -> w.url().getPort() == gonePort)
                    .findFirst().orElseThrow(() -> new AssertionError("no worker runs task 0: " + before));
            trail.logLag("removing the worker of task 0");
            cluster.connect.removeWorker(running);
            cluster.connect.assertions().assertExactlyNumWorkersAreUp(1, "the other worker is not up");
            trail.sample("worker removed");

            produceUntil(producer, oracle, "the tasks of the removed worker run elsewhere and own partitions", () ->
                    assertTasksOwnAllPartitions(name, 2, 4, status -> status.tasks().stream()
                            .noneMatch(t -> port(t.workerId()) == gonePort)));
            trail.sample("tasks moved");
            oracle.produce(producer, CHUNK, KEYS, UNDECODABLE_EVERY);

            int newPort = cluster.connect.addWorker().url().getPort();
            cluster.connect.assertions().assertExactlyNumWorkersAreUp(2, "the new worker did not start");
            produceUntil(producer, oracle, "a task moved to the new worker and owns partitions", () ->
                    assertTasksOwnAllPartitions(name, 2, 4, status -> status.tasks().stream()
                            .anyMatch(t -> port(t.workerId()) == newPort)));
            trail.sample("worker added");
            oracle.produce(producer, CHUNK, KEYS, UNDECODABLE_EVERY);

            cluster.awaitCommitted(name, oracle.endOffsets(), WAIT);
            trail.sample("end");
        }

        oracle.assertRedisHoldsExactlyTheExpectedState(redis);
        // a task that went away may have reported records it could not commit: the replay reports them again
        oracle.assertDeadLetterTopicHoldsExactlyTheUndecodableRecords(cluster.connect.kafka(), dlq, true);
        oracle.assertCommittedOffsetsWereAcknowledged(cluster.committedOffsets(name), redis);
    }

    @Test
    void partitionsHandedOverInARebalanceAreNeitherLostNorCommittedEarly() throws Exception {
        String name = "lifecycle-rebalance";
        String dlq = name + "-dlq";
        StreamOracle oracle = new StreamOracle(name, 6, 33);
        cluster.connect.kafka().createTopic(oracle.topic(), 6);
        CommitTrail trail = new CommitTrail(name, oracle);

        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            start(name, config(oracle, dlq, 3), 3);
            int firstPort = cluster.connect.workers().iterator().next().url().getPort();

            oracle.produce(producer, CHUNK, KEYS, UNDECODABLE_EVERY);
            trail.logLag("adding a worker");
            int addedPort = cluster.connect.addWorker().url().getPort();
            cluster.connect.assertions().assertExactlyNumWorkersAreUp(2, "the second worker did not start");
            // a task moves to the new worker: its partitions are closed on one consumer and opened on another
            produceUntil(producer, oracle, "a task runs on the added worker and owns partitions", () ->
                    assertTasksOwnAllPartitions(name, 3, 6, status -> status.tasks().stream()
                            .anyMatch(t -> port(t.workerId()) == addedPort)));
            trail.sample("worker added");

            oracle.produce(producer, CHUNK, KEYS, UNDECODABLE_EVERY);
            trail.logLag("removing the added worker");
            WorkerHandle added = cluster.connect.workers().stream().filter(w -> w.url().getPort() == addedPort)
                    .findFirst().orElseThrow();
            cluster.connect.removeWorker(added);
            cluster.connect.assertions().assertExactlyNumWorkersAreUp(1, "the first worker is not up");
            trail.sample("worker removed");
            produceUntil(producer, oracle, "every task is back on the first worker and owns partitions", () ->
                    assertTasksOwnAllPartitions(name, 3, 6, status -> status.tasks().stream()
                            .allMatch(t -> port(t.workerId()) == firstPort)));
            trail.sample("tasks back");
            oracle.produce(producer, CHUNK, KEYS, UNDECODABLE_EVERY);

            cluster.awaitCommitted(name, oracle.endOffsets(), WAIT);
            trail.sample("end");
        }

        oracle.assertRedisHoldsExactlyTheExpectedState(redis);
        oracle.assertDeadLetterTopicHoldsExactlyTheUndecodableRecords(cluster.connect.kafka(), dlq, false);
        oracle.assertCommittedOffsetsWereAcknowledged(cluster.committedOffsets(name), redis);
    }

    private static Map<String, String> config(StreamOracle oracle, String dlq, int tasks) {
        Map<String, String> config = cluster.sinkConfig(oracle.topic());
        config.put("tasks.max", Integer.toString(tasks));
        // small polls: several put() calls per chunk, so operations land while batches are in flight
        config.put("consumer.override.max.poll.records", "50");
        ConnectAndRedis.withDeadLetterQueue(config, dlq);
        return config;
    }

    private void start(String name, Map<String, String> config, int tasks) throws InterruptedException {
        if (!connectors.contains(name)) {
            connectors.add(name);
        }
        cluster.startConnector(name, config);
        awaitTasksRunning(name, tasks);
    }

    /** Waits until the connector and exactly {@code tasks} tasks run, each on a worker of the cluster; their status. */
    private static ConnectorStateInfo awaitTasksRunning(String name, int tasks) {
        return await().atMost(WAIT).ignoreExceptions().until(() -> cluster.connect.connectorStatus(name), status -> running(status, tasks));
    }

    private static boolean running(ConnectorStateInfo status, int tasks) {
        Set<Integer> live = cluster.connect.workers().stream().map(w -> w.url().getPort()).collect(Collectors.toSet());
        return "RUNNING".equals(status.connector().state()) && status.tasks().size() == tasks
                && status.tasks().stream().allMatch(t -> "RUNNING".equals(t.state()) && live.contains(port(t.workerId())));
    }

    /**
     * Keeps records flowing, a small chunk per poll, until {@code settled} holds: tasks move and partitions change
     * hands while records arrive, not after the stream went quiet.
     */
    private static void produceUntil(KafkaProducer<byte[], byte[]> producer, StreamOracle oracle, String what,
                                     ThrowingRunnable settled) {
        await(what).atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            oracle.produce(producer, TRICKLE, KEYS, UNDECODABLE_EVERY);
            settled.run();
        });
    }

    /**
     * The connector and its {@code tasks} tasks run where {@code placement} wants them, and the sink's consumer
     * group has settled: one member per task, each owning partitions, all {@code partitions} owned.
     */
    private static void assertTasksOwnAllPartitions(String name, int tasks, int partitions,
                                                    Predicate<ConnectorStateInfo> placement) throws Exception {
        ConnectorStateInfo status = cluster.connect.connectorStatus(name);
        assertThat(running(status, tasks) && placement.test(status)).as("status of %s: %s", name, status).isTrue();
        String group = "connect-" + name;
        ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                .get(10, TimeUnit.SECONDS);
        assertThat(description.groupState()).as("state of %s", group).isEqualTo(GroupState.STABLE);
        List<MemberDescription> members = List.copyOf(description.members());
        assertThat(members).extracting(MemberDescription::clientId).as("consumers in %s", group)
                .hasSize(tasks).doesNotHaveDuplicates();
        assertThat(members).allSatisfy(m -> assertThat(m.assignment().topicPartitions())
                .as("partitions of %s", m.clientId()).isNotEmpty());
        assertThat(members.stream().mapToInt(m -> m.assignment().topicPartitions().size()).sum())
                .as("partitions owned in %s", group).isEqualTo(partitions);
    }

    /** A worker id in a status is the host:port of its REST listener. */
    private static int port(String workerId) {
        return Integer.parseInt(workerId.substring(workerId.lastIndexOf(':') + 1));
    }

    /** Every consumer of the group has left: the tasks have stopped, after their last commit. */
    private static void awaitNoConsumerIn(String group) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group))
                    .describedGroups().get(group).get(10, TimeUnit.SECONDS);
            assertThat(description.members()).as("members of %s", group).isEmpty();
        });
    }

    /** Like {@link ConnectAndRedis#committedOffsets}, with the shared admin client and for one topic. */
    private static Map<TopicPartition, Long> committedOffsets(String connector, String topic) throws Exception {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        admin.listConsumerGroupOffsets("connect-" + connector).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS)
                .forEach((tp, committed) -> {
                    if (committed != null && tp.topic().equals(topic)) {
                        offsets.put(tp, committed.offset());
                    }
                });
        return offsets;
    }

    /** SET and DEL commands Redis has executed since it started (the connector is the only writer). */
    private static long redisWrites() {
        Map<String, String> stats = redis.infoMap("commandstats");
        return calls(stats.get("cmdstat_set")) + calls(stats.get("cmdstat_del"));
    }

    private static long calls(String commandStat) {
        if (commandStat == null) {
            return 0;
        }
        for (String field : commandStat.split(",")) {
            if (field.startsWith("calls=")) {
                return Long.parseLong(field.substring("calls=".length()));
            }
        }
        throw new IllegalStateException("no calls= in " + commandStat);
    }

    /**
     * The committed offsets of one connector over its life. Each sample must not be behind the previous one on any
     * partition, must be believable (what it covers was acknowledged by Redis) and every stored value must decode.
     * Samples are taken between produce calls, when the oracle knows every record the connector can have seen.
     */
    private static final class CommitTrail {

        private final String connector;
        private final StreamOracle oracle;
        private Map<TopicPartition, Long> last = Map.of();

        CommitTrail(String connector, StreamOracle oracle) {
            this.connector = connector;
            this.oracle = oracle;
        }

        Map<TopicPartition, Long> sample(String after) throws Exception {
            Map<TopicPartition, Long> committed = committedOffsets(connector, oracle.topic());
            last.forEach((tp, offset) -> assertThat(committed.get(tp))
                    .as("committed offset of %s after %s (it was %d)", tp, after, offset)
                    .isNotNull().isGreaterThanOrEqualTo(offset));
            oracle.assertCommittedOffsetsWereAcknowledged(committed, redis);
            for (String key : redis.keys(oracle.topic() + ":*")) {
                byte[] stored = redis.get(key);
                if (stored != null) { // deleted by a tombstone since the scan
                    assertThatCode(() -> ValueDecoder.decode(stored)).as("value of %s after %s", key, after)
                            .doesNotThrowAnyException();
                }
            }
            log.info("{} after {}: committed {}", connector, after, committed);
            last = committed;
            return committed;
        }

        /** How many produced records are not committed yet when an operation starts: the work it interrupts. */
        void logLag(String operation) throws Exception {
            Map<TopicPartition, Long> committed = committedOffsets(connector, oracle.topic());
            long lag = oracle.endOffsets().entrySet().stream()
                    .mapToLong(e -> e.getValue() - committed.getOrDefault(e.getKey(), 0L)).sum();
            log.info("{}: {} with {} records not committed yet", connector, operation, lag);
        }
    }
}
