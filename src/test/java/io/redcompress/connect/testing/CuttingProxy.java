package io.redcompress.connect.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TCP proxy in front of a Redis server that can lose a connection at the worst moment for a client: after Redis has
 * executed a request and before its reply reaches the client. {@link #cutAfterNextRequest} arms it: the next chunk a
 * client sends that contains the given command is forwarded to Redis, whatever Redis answers on that connection from
 * then on is swallowed, and a moment later both sides of the connection are closed. The client sees a connection lost
 * with the request in flight, while Redis has applied it.
 *
 * <p>{@code CLIENT KILL} cannot do that reliably: Redis writes a round's replies at the end of the round, so a kill
 * drops executed requests' replies only when it is processed in the same round after them, a window of microseconds.
 */
public final class CuttingProxy implements AutoCloseable {

    private static final String HOST = "127.0.0.1";
    /** How long Redis gets to execute the request before the connection is cut. */
    private static final long EXECUTE_MILLIS = 50;

    private final ServerSocket server;
    private final int upstreamPort;
    private final Thread acceptor;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Cut> armed = new AtomicReference<>();
    private volatile Cut lastArmed;
    private final AtomicInteger cuts = new AtomicInteger();
    private volatile boolean closed;

    private record Cut(byte[] command, CountDownLatch done) {
    }

    private CuttingProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
        this.acceptor = new Thread(this::accept, "cutting-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy on an ephemeral port of 127.0.0.1 to the Redis server on {@code upstreamPort} there. */
    public static CuttingProxy to(int upstreamPort) {
        try {
            return new CuttingProxy(upstreamPort);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the proxy's port", e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public String uri() {
        return "redis://" + HOST + ":" + port();
    }

    /** Connections cut so far. */
    public int cuts() {
        return cuts.get();
    }

    /**
     * Arms the proxy and returns: the next chunk a client sends that contains {@code command} (e.g. {@code EVAL}, as a
     * RESP bulk string) reaches Redis, its replies never reach the client, and the connection is cut. Arm before
     * causing the request, then {@link #awaitCut}.
     */
    public void cutAfterNextRequest(String command) {
        byte[] bulk = ("$" + command.length() + "\r\n" + command + "\r\n").getBytes(StandardCharsets.US_ASCII);
        Cut cut = new Cut(bulk, new CountDownLatch(1));
        if (!armed.compareAndSet(null, cut)) {
            throw new IllegalStateException("already armed");
        }
        lastArmed = cut;
    }

    /**
     * Waits for the cut {@link #cutAfterNextRequest} armed.
     *
     * @return false when no such request came within {@code timeout} (the proxy is disarmed then)
     */
    public boolean awaitCut(Duration timeout) throws InterruptedException {
        Cut cut = lastArmed;
        if (cut == null) {
            throw new IllegalStateException("not armed");
        }
        if (cut.done().await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return true;
        }
        if (armed.compareAndSet(cut, null)) {
            return false;
        }
        // taken just now: it is being cut
        return cut.done().await(EXECUTE_MILLIS + 5_000, TimeUnit.MILLISECONDS);
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket();
                try {
                    upstream.connect(new InetSocketAddress(HOST, upstreamPort), 5_000);
                } catch (IOException e) {
                    client.close();
                    upstream.close();
                    continue;
                }
                Link link = new Link(client, upstream);
                links.add(link);
                link.start();
            } catch (IOException e) {
                if (!closed) {
                    sleep(10);
                }
            }
        }
    }

    /** One client connection and its connection to Redis, pumped both ways by a thread each. */
    private final class Link {
        final Socket client;
        final Socket upstream;
        volatile boolean swallowReplies;

        Link(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() {
            Thread up = new Thread(this::pumpRequests, "cutting-proxy-up-" + client.getPort());
            Thread down = new Thread(this::pumpReplies, "cutting-proxy-down-" + client.getPort());
            up.setDaemon(true);
            down.setDaemon(true);
            up.start();
            down.start();
        }

        private void pumpRequests() {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = client.getInputStream(); OutputStream out = upstream.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    Cut cut = armed.get();
                    boolean cutting = cut != null && contains(buffer, n, cut.command()) && armed.compareAndSet(cut, null);
                    if (cutting) {
                        swallowReplies = true;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                    if (cutting) {
                        sleep(EXECUTE_MILLIS);
                        close();
                        cuts.incrementAndGet();
                        cut.done().countDown();
                        return;
                    }
                }
            } catch (IOException e) {
                // either side went away
            } finally {
                close();
            }
        }

        private void pumpReplies() {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = upstream.getInputStream(); OutputStream out = client.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (!swallowReplies) {
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // either side went away
            } finally {
                close();
            }
        }

        void close() {
            closeQuietly(client);
            closeQuietly(upstream);
            links.remove(this);
        }
    }

    private static boolean contains(byte[] buffer, int length, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= length; i++) {
            for (int k = 0; k < pattern.length; k++) {
                if (buffer[i + k] != pattern[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        links.forEach(Link::close);
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "CuttingProxy[" + HOST + ":" + port() + " -> " + upstreamPort + ", " + cuts() + " cuts]";
    }
}
