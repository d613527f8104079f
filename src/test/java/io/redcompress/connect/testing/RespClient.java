package io.redcompress.connect.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A tiny blocking RESP2 client over a plain {@link Socket}, for tests that need to see what Redis
 * really holds, independently of the connector's own client (Lettuce).
 *
 * <p>Replies are mapped as: simple string to {@link String}, integer to {@link Long}, bulk string to
 * {@code byte[]}, array to {@link List}, nil to {@code null}. A top-level error reply is thrown as
 * {@link RedisErrorReply}; an error nested in an array is returned as a {@link RedisErrorReply} element.
 * I/O failures are thrown as {@link UncheckedIOException}; after one the client is closed.
 *
 * <p>Thread-safe (one command at a time), but meant for one test thread.
 */
public final class RespClient implements AutoCloseable {

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final byte[] CRLF = {'\r', '\n'};

    private final String host;
    private final int port;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final boolean tls;

    private RespClient(String host, int port, Duration timeout, SSLSocketFactory tls) throws IOException {
        this.host = host;
        this.port = port;
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.setSoTimeout(Math.toIntExact(timeout.toMillis()));
            s.connect(new InetSocketAddress(host, port), Math.toIntExact(timeout.toMillis()));
            if (tls != null) {
                // layered over the connected socket, so the connect timeout applies; the handshake is
                // bounded by the read timeout. No hostname verification: that is the client under test's job.
                SSLSocket ssl = (SSLSocket) tls.createSocket(s, host, port, true);
                s = ssl;
                ssl.startHandshake();
            }
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        this.socket = s;
        this.tls = tls != null;
        this.in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
        this.out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
    }

    /** Connects with a 10 s connect and read timeout. */
    public static RespClient connect(String host, int port) {
        return connect(host, port, DEFAULT_TIMEOUT);
    }

    /** Connects; {@code timeout} bounds both the connect and every reply read. */
    public static RespClient connect(String host, int port, Duration timeout) {
        try {
            return new RespClient(host, port, timeout, null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to Redis at " + host + ":" + port, e);
        }
    }

    /** Connects and authenticates with {@code AUTH password} when {@code password} is not null. */
    public static RespClient connect(String host, int port, String password, Duration timeout) {
        return authenticate(connect(host, port, timeout), password);
    }

    /**
     * Connects over TLS (handshake included) and authenticates with {@code AUTH password} when
     * {@code password} is not null; {@code timeout} bounds the connect, the handshake and every reply read.
     * The server's certificate is checked against the factory's trust material, its host name is not.
     *
     * @see TestCertificates#clientSocketFactory()
     */
    public static RespClient connectTls(String host, int port, SSLSocketFactory tls, String password, Duration timeout) {
        RespClient client;
        try {
            client = new RespClient(host, port, timeout, Objects.requireNonNull(tls, "tls"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect over TLS to Redis at " + host + ":" + port, e);
        }
        return authenticate(client, password);
    }

    private static RespClient authenticate(RespClient client, String password) {
        if (password != null) {
            try {
                client.auth(password);
            } catch (RuntimeException e) {
                client.close();
                throw e;
            }
        }
        return client;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** Whether this client talks TLS. */
    public boolean isTls() {
        return tls;
    }

    /** Sends one command and returns its reply (see the class comment for the mapping). */
    public Object command(String... args) {
        byte[][] raw = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            raw[i] = Objects.requireNonNull(args[i], "command argument").getBytes(StandardCharsets.UTF_8);
        }
        return command(raw);
    }

    /** Sends one command with binary arguments and returns its reply. */
    public synchronized Object command(byte[]... args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("empty command");
        }
        if (socket.isClosed()) {
            throw new IllegalStateException("client to " + host + ":" + port + " is closed");
        }
        try {
            writeCommand(args);
            Object reply = readReply();
            if (reply instanceof RedisErrorReply) {
                RedisErrorReply error = (RedisErrorReply) reply;
                // a fresh exception, so the stack trace shows the caller
                throw new RedisErrorReply(error.reply());
            }
            return reply;
        } catch (IOException e) {
            closeQuietly();
            throw new UncheckedIOException("I/O error talking to Redis at " + host + ":" + port
                    + " (command " + new String(args[0], StandardCharsets.UTF_8) + ")", e);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    public void auth(String password) {
        command("AUTH", password);
    }

    public String ping() {
        return (String) command("PING");
    }

    /** {@code GET key}: the raw bytes, or null when the key does not exist. */
    public byte[] get(String key) {
        return (byte[]) command("GET", key);
    }

    /** {@code GET key} decoded as UTF-8, or null. */
    public String getString(String key) {
        byte[] value = get(key);
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    public void set(String key, byte[] value) {
        command(bytes("SET"), bytes(key), value);
    }

    public void set(String key, String value) {
        command("SET", key, value);
    }

    public boolean exists(String key) {
        return (Long) command("EXISTS", key) == 1L;
    }

    /** {@code PTTL key}: milliseconds to live, -1 without expiry, -2 when the key does not exist. */
    public long pttl(String key) {
        return (Long) command("PTTL", key);
    }

    /** {@code TYPE key}: string, list, hash, ..., or none. */
    public String type(String key) {
        return (String) command("TYPE", key);
    }

    /** All keys matching a glob pattern, found with {@code SCAN} (never {@code KEYS}); sorted. */
    public List<String> keys(String pattern) {
        List<String> keys = new ArrayList<>();
        String cursor = "0";
        do {
            List<?> reply = (List<?>) command("SCAN", cursor, "MATCH", pattern, "COUNT", "1000");
            cursor = new String((byte[]) reply.get(0), StandardCharsets.UTF_8);
            for (Object key : (List<?>) reply.get(1)) {
                keys.add(new String((byte[]) key, StandardCharsets.UTF_8));
            }
        } while (!cursor.equals("0"));
        // SCAN may return a key more than once
        return keys.stream().distinct().sorted().toList();
    }

    public long dbsize() {
        return (Long) command("DBSIZE");
    }

    /** {@code INFO section} as text; pass null for the default sections. */
    public String info(String section) {
        Object reply = section == null ? command("INFO") : command("INFO", section);
        return new String((byte[]) reply, StandardCharsets.UTF_8);
    }

    /** {@code INFO section} parsed into {@code field -> value} (comments and blank lines skipped). */
    public Map<String, String> infoMap(String section) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : info(section).split("\r?\n")) {
            int colon = line.indexOf(':');
            if (!line.isEmpty() && line.charAt(0) != '#' && colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }

    /** {@code used_memory} from {@code INFO memory}, in bytes. */
    public long usedMemory() {
        return Long.parseLong(infoMap("memory").get("used_memory"));
    }

    public void configSet(String parameter, String value) {
        command("CONFIG", "SET", parameter, value);
    }

    /** {@code CONFIG GET parameter}: the value, or null when no such parameter exists. */
    public String configGet(String parameter) {
        List<?> reply = (List<?>) command("CONFIG", "GET", parameter);
        return reply.size() < 2 ? null : new String((byte[]) reply.get(1), StandardCharsets.UTF_8);
    }

    public void flushAll() {
        command("FLUSHALL");
    }

    @Override
    public void close() {
        closeQuietly();
    }

    // ---- protocol ------------------------------------------------------------------------------

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private void writeCommand(byte[][] args) throws IOException {
        out.write('*');
        out.write(bytes(Integer.toString(args.length)));
        out.write(CRLF);
        for (byte[] arg : args) {
            Objects.requireNonNull(arg, "command argument");
            out.write('$');
            out.write(bytes(Integer.toString(arg.length)));
            out.write(CRLF);
            out.write(arg);
            out.write(CRLF);
        }
        out.flush();
    }

    private Object readReply() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed by Redis");
        }
        switch (type) {
            case '+':
                return readLine();
            case '-':
                return new RedisErrorReply(readLine());
            case ':':
                return parseLong(readLine());
            case '$': {
                long length = parseLong(readLine());
                if (length < 0) {
                    return null;
                }
                byte[] data = in.readNBytes(Math.toIntExact(length));
                if (data.length != length) {
                    throw new EOFException("connection closed in the middle of a bulk string");
                }
                expectCrlf();
                return data;
            }
            case '*': {
                long count = parseLong(readLine());
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(Math.toIntExact(Math.min(count, 1024)));
                for (long i = 0; i < count; i++) {
                    items.add(readReply());
                }
                return Collections.unmodifiableList(items);
            }
            default:
                throw new IOException("protocol error: unexpected reply type byte 0x" + Integer.toHexString(type));
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(32);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed in the middle of a reply line");
            }
            if (b == '\r') {
                int next = in.read();
                if (next != '\n') {
                    throw new IOException("protocol error: CR not followed by LF");
                }
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }

    private void expectCrlf() throws IOException {
        if (in.read() != '\r' || in.read() != '\n') {
            throw new IOException("protocol error: bulk string not terminated by CRLF");
        }
    }

    private static long parseLong(String s) throws IOException {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IOException("protocol error: not a number: " + s, e);
        }
    }

    private void closeQuietly() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    @Override
    public String toString() {
        return "RespClient[" + host + ":" + port + (tls ? ", tls" : "") + (socket.isClosed() ? ", closed" : "") + "]";
    }

    /** Renders a reply for assertion messages: bulk strings as text, nested lists recursively. */
    public static String render(Object reply) {
        if (reply instanceof byte[]) {
            return '"' + new String((byte[]) reply, StandardCharsets.UTF_8) + '"';
        }
        if (reply instanceof List) {
            List<String> parts = new ArrayList<>();
            for (Object item : (List<?>) reply) {
                parts.add(render(item));
            }
            return parts.toString();
        }
        return String.valueOf(reply);
    }
}
