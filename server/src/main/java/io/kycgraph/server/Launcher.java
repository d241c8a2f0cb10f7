package io.kycgraph.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.SettingValueParsers;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.logging.Log;
import org.neo4j.logging.log4j.Log4jLogProvider;
import org.neo4j.server.configuration.ServerSettings;

/**
 * Starts a local Neo4j Community server for kycgraph development: the embedded DBMS with its
 * Bolt connector, plus Neo4j Browser's static files over HTTP.
 *
 * <p>All settings come from environment variables, so that {@code server/neo4jctl} is the one
 * place that sets them:
 *
 * <ul>
 *   <li>{@code KYCGRAPH_NEO4J_HOME}: Neo4j home folder that contains {@code data/}, {@code logs/}
 *       and {@code run/}. Default: {@code .neo4j} in the working directory.
 *   <li>{@code NEO4J_PASSWORD}: password of the user {@code neo4j}, at least 8 characters.
 *       Required.
 *   <li>{@code KYCGRAPH_NEO4J_BOLT_ADDRESS}: Bolt listen address. Default: {@code 127.0.0.1:7687}.
 *   <li>{@code KYCGRAPH_NEO4J_HTTP_ADDRESS}: listen address of Neo4j Browser, or {@code off}.
 *       Default: {@code 127.0.0.1:7474}.
 *   <li>{@code KYCGRAPH_NEO4J_PAGECACHE}: page cache size in Neo4j's byte syntax ({@code 512m},
 *       {@code 1g}). Default: {@code 1g}. The heap is a JVM option, set by the script.
 * </ul>
 *
 * <p>Once the default database runs a query and the Bolt port completes a handshake, the launcher
 * writes {@code run/ready}, and the script waits for that file. SIGTERM shuts the DBMS down cleanly
 * and removes the file.
 *
 * <p>Exit codes: 0 after a clean shutdown, 1 if start-up failed, 2 for invalid settings.
 */
public final class Launcher {

    /** Neo4j 5's default value of {@code dbms.security.auth_minimum_password_length}. */
    private static final int MIN_PASSWORD_LENGTH = 8;

    private static final String ADMIN_USER = "neo4j";
    private static final Duration BOLT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    private final Settings settings;
    private final Log log;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private boolean stopping;
    private DatabaseManagementService dbms;
    private HttpServer browserServer;

    private Launcher(Settings settings, Log log) {
        this.settings = settings;
        this.log = log;
    }

    public static void main(String[] args) throws InterruptedException {
        // NOTE: Log4jLogProvider is an internal Neo4j class with no compatibility promise. It gives
        // the launcher's lines the format of Neo4j's own user log. Recheck it on a Neo4j upgrade.
        Log4jLogProvider logProvider = new Log4jLogProvider(System.out);
        Log log = logProvider.getLog(Launcher.class);
        Settings settings;
        try {
            settings = Settings.fromEnvironment(System.getenv());
        } catch (IllegalArgumentException e) {
            log.error("Invalid setting: %s", e.getMessage());
            System.exit(2);
            return;
        }

        Launcher launcher = new Launcher(settings, log);
        Runtime.getRuntime().addShutdownHook(new Thread(launcher::shutdown, "kycgraph-shutdown"));
        try {
            launcher.start(logProvider);
        } catch (Exception e) {
            log.error("Neo4j failed to start", e);
            // The shutdown hook stops whatever did start.
            System.exit(1);
        }
        launcher.stopped.await();
    }

    /**
     * Starts the DBMS, sets the password, starts Neo4j Browser and writes the ready marker. Does
     * nothing if the shutdown hook has already run.
     *
     * @throws IOException if the home folder, the Bolt port or the HTTP port cannot be used
     */
    private synchronized void start(Log4jLogProvider logProvider) throws IOException {
        if (stopping) {
            return;
        }

        // 1. Clear the ready marker that a killed earlier run may have left behind.
        Files.createDirectories(settings.runDirectory());
        Files.deleteIfExists(settings.readyMarker());

        // 2. Start the DBMS. Neo4j keeps data under home/data and debug.log under home/logs.
        log.info(
                "Starting Neo4j in %s with Bolt on %s and a %s page cache",
                settings.home(),
                settings.boltAddress(),
                settings.pageCacheSize());
        dbms = new DatabaseManagementServiceBuilder(settings.home())
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, settings.boltAddress())
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, settings.pageCacheBytes())
                // Usage reporting sends statistics to Neo4j Inc. A development server makes no outbound calls.
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Neo4j Browser reads this through dbms.clientConfig() and then sends no product analytics.
                .setConfig(ServerSettings.allow_telemetry, false)
                .setUserLogProvider(logProvider)
                .build();

        // 3. Make the neo4j user's password match NEO4J_PASSWORD.
        setAdminPassword(dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME));

        // 4. Check in-process that the default database runs a query.
        GraphDatabaseService graph = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        graph.executeTransactionally("CALL db.ping()");

        // 5. Check that the Bolt port completes a handshake, as a driver would see it.
        int boltVersion = boltHandshake(settings.boltAddress());
        int boltMajor = boltVersion & 0xff;
        int boltMinor = (boltVersion >> 8) & 0xff;
        log.info("Bolt handshake succeeded on %s (protocol %d.%d)", settings.boltAddress(), boltMajor, boltMinor);

        // 6. Serve Neo4j Browser, unless switched off.
        if (settings.httpAddress() != null) {
            browserServer = BrowserServer.start(settings.httpAddress(), settings.boltAddress(), log);
        }

        // 7. Tell the script that the server is ready.
        Files.writeString(settings.readyMarker(), "bolt://" + settings.boltAddress() + "\n");
        log.info("Neo4j is ready on bolt://%s", settings.boltAddress());
    }

    /**
     * Sets the password of the user {@code neo4j} to {@code NEO4J_PASSWORD}, creating the user if
     * it was dropped. Runs on every start, so a changed variable takes effect on the next start.
     */
    private void setAdminPassword(GraphDatabaseService system) {
        Map<String, Object> parameters = Map.of("user", ADMIN_USER, "password", settings.password());

        // Find out whether the admin user exists (it is created with the first start).
        boolean userExists = system.executeTransactionally(
                "SHOW USERS YIELD user WHERE user = $user RETURN count(*) AS n",
                parameters,
                result -> ((Number) result.next().get("n")).longValue() > 0);
        if (!userExists) {
            system.executeTransactionally(
                    "CREATE USER $user SET PASSWORD $password CHANGE NOT REQUIRED", parameters);
            log.info("Created user %s with the password from NEO4J_PASSWORD", ADMIN_USER);
            return;
        }

        // Set the password. Neo4j rejects a password equal to the current one, so that error
        // means no change is needed.
        try {
            system.executeTransactionally(
                    "ALTER USER $user SET PASSWORD $password CHANGE NOT REQUIRED", parameters);
            log.info("Set the password of user %s from NEO4J_PASSWORD", ADMIN_USER);
        } catch (QueryExecutionException e) {
            if (!isSamePasswordError(e)) {
                throw e;
            }
            log.info("User %s already has the password from NEO4J_PASSWORD", ADMIN_USER);
        }
    }

    /** Matches the error that Neo4j 5.26 raises for ALTER USER with the unchanged password. */
    private static boolean isSamePasswordError(QueryExecutionException error) {
        String message = String.valueOf(error.getMessage()).toLowerCase(Locale.ROOT);
        return message.contains("old password and new password cannot be the same");
    }

    /**
     * Performs a Bolt handshake with the server and returns the protocol version it chose.
     *
     * <p>The handshake is the magic preamble {@code 6060B017} and four version proposals, each
     * {@code [0, range, minor, major]}. The server responds with one 4-byte version, or zero if it
     * supports none. This proves the connector accepts connections, not that a login succeeds.
     *
     * @throws IOException if the connection fails, times out or the server supports no proposal
     */
    private static int boltHandshake(SocketAddress boltAddress) throws IOException {
        String host = boltAddress.getHostname();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        }
        byte[] request = {
            0x60, 0x60, (byte) 0xB0, 0x17,
            0, 8, 8, 5, // 5.8 down to 5.0
            0, 0, 4, 4, // 4.4
            0, 0, 0, 0,
            0, 0, 0, 0,
        };
        int timeoutMillis = (int) BOLT_HANDSHAKE_TIMEOUT.toMillis();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, boltAddress.getPort()), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            byte[] response = socket.getInputStream().readNBytes(4);
            if (response.length != 4) {
                throw new IOException("Bolt handshake failed: the server closed the connection after "
                        + response.length + " bytes");
            }
            int version = ((response[2] & 0xff) << 8) | (response[3] & 0xff);
            if (version == 0) {
                throw new IOException("Bolt handshake failed: the server supports none of the proposed versions "
                        + Arrays.toString(response));
            }
            return version;
        }
    }

    /**
     * Stops Neo4j Browser and the DBMS. Runs as the shutdown hook, so on SIGTERM and SIGINT. A
     * signal during start-up waits here until {@link #start} returns, so that the stores are closed
     * cleanly rather than left to recovery.
     */
    private synchronized void shutdown() {
        stopping = true;
        try {
            Files.deleteIfExists(settings.readyMarker());
        } catch (IOException e) {
            log.warn("Failed to delete the ready marker %s: %s", settings.readyMarker(), e);
        }
        if (browserServer != null) {
            browserServer.stop(0);
        }
        if (dbms != null) {
            log.info("Stopping Neo4j");
            dbms.shutdown();
            log.info("Neo4j stopped");
        }
        stopped.countDown();
    }

    /**
     * Launcher settings, read from the environment.
     *
     * @param httpAddress Neo4j Browser's listen address, or {@code null} when it is switched off
     */
    record Settings(
            Path home,
            String password,
            SocketAddress boltAddress,
            SocketAddress httpAddress,
            String pageCacheSize,
            long pageCacheBytes) {

        static final String DEFAULT_BOLT_ADDRESS = "127.0.0.1:7687";
        static final String DEFAULT_HTTP_ADDRESS = "127.0.0.1:7474";
        static final String DEFAULT_PAGECACHE = "1g";

        /**
         * Reads the settings from {@code environment}.
         *
         * @throws IllegalArgumentException if a value is missing or invalid. The message names the
         *     variable but never contains the password.
         */
        static Settings fromEnvironment(Map<String, String> environment) {
            Path home = Path.of(environment.getOrDefault("KYCGRAPH_NEO4J_HOME", ".neo4j")).toAbsolutePath();

            String password = environment.getOrDefault("NEO4J_PASSWORD", "");
            if (password.length() < MIN_PASSWORD_LENGTH) {
                throw new IllegalArgumentException(
                        "NEO4J_PASSWORD is missing or shorter than " + MIN_PASSWORD_LENGTH
                                + " characters. Set it to a longer password.");
            }

            SocketAddress boltAddress = parseAddress(environment, "KYCGRAPH_NEO4J_BOLT_ADDRESS", DEFAULT_BOLT_ADDRESS);
            String httpValue = environment.getOrDefault("KYCGRAPH_NEO4J_HTTP_ADDRESS", DEFAULT_HTTP_ADDRESS);
            SocketAddress httpAddress = httpValue.equalsIgnoreCase("off")
                    ? null
                    : parseAddress(environment, "KYCGRAPH_NEO4J_HTTP_ADDRESS", DEFAULT_HTTP_ADDRESS);

            String pageCacheSize = environment.getOrDefault("KYCGRAPH_NEO4J_PAGECACHE", DEFAULT_PAGECACHE);
            long pageCacheBytes;
            try {
                pageCacheBytes = SettingValueParsers.BYTES.parse(pageCacheSize);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("KYCGRAPH_NEO4J_PAGECACHE=" + pageCacheSize
                        + " is not a valid size. Use a form like 512m or 1g.", e);
            }

            return new Settings(home, password, boltAddress, httpAddress, pageCacheSize, pageCacheBytes);
        }

        private static SocketAddress parseAddress(Map<String, String> environment, String name, String defaultValue) {
            String value = environment.getOrDefault(name, defaultValue);
            try {
                return SettingValueParsers.SOCKET_ADDRESS.parse(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + "=" + value
                        + " is not a valid listen address. Use host:port, for example " + defaultValue + ".", e);
            }
        }

        Path runDirectory() {
            return home.resolve("run");
        }

        Path readyMarker() {
            return runDirectory().resolve("ready");
        }

        /** Hides the password from {@code toString()}, which a log line may print. */
        @Override
        public String toString() {
            return "Settings[home=" + home + ", boltAddress=" + boltAddress + ", httpAddress=" + httpAddress
                    + ", pageCacheSize=" + pageCacheSize + "]";
        }
    }

    /**
     * Serves Neo4j Browser from the {@code org.neo4j.client:neo4j-browser} jar on the class path,
     * the way a Neo4j server does: the app under {@code /browser/}, and at {@code /} a discovery
     * document that contains the Bolt address for the app to connect to.
     */
    static final class BrowserServer {

        private static final String RESOURCE_ROOT = "browser/";
        private static final Map<String, String> CONTENT_TYPES = Map.ofEntries(
                Map.entry("html", "text/html; charset=utf-8"),
                Map.entry("js", "text/javascript; charset=utf-8"),
                Map.entry("css", "text/css; charset=utf-8"),
                Map.entry("json", "application/json"),
                Map.entry("svg", "image/svg+xml"),
                Map.entry("png", "image/png"),
                Map.entry("jpg", "image/jpeg"),
                Map.entry("ico", "image/x-icon"),
                Map.entry("woff", "font/woff"),
                Map.entry("woff2", "font/woff2"),
                Map.entry("ttf", "font/ttf"),
                Map.entry("eot", "application/vnd.ms-fontobject"),
                Map.entry("map", "application/json"),
                Map.entry("txt", "text/plain; charset=utf-8"));
        private static final List<String> ALLOWED_METHODS = List.of("GET", "HEAD");

        private BrowserServer() {}

        /**
         * Starts the HTTP server on {@code httpAddress}.
         *
         * @throws IOException if the address is in use
         */
        static HttpServer start(SocketAddress httpAddress, SocketAddress boltAddress, Log log) throws IOException {
            if (ClassLoader.getSystemResource(RESOURCE_ROOT + "index.html") == null) {
                throw new IOException("Neo4j Browser is not on the class path. Rebuild with `neo4jctl build`.");
            }
            String discovery = discoveryDocument(boltAddress);
            HttpServer server = HttpServer.create(
                    new InetSocketAddress(httpAddress.getHostname(), httpAddress.getPort()), 0);
            server.setExecutor(Executors.newFixedThreadPool(4));
            server.createContext("/", exchange -> {
                try (exchange) {
                    handle(exchange, discovery);
                } catch (IOException | RuntimeException e) {
                    log.warn("Neo4j Browser request %s failed: %s", exchange.getRequestURI().getPath(), e);
                }
            });
            server.start();
            log.info("Neo4j Browser is on http://%s/browser/", httpAddress);
            return server;
        }

        /** Builds the JSON that Neo4j Browser reads from {@code /} to find the Bolt address. */
        private static String discoveryDocument(SocketAddress boltAddress) {
            String bolt = boltAddress.getHostname().equals("0.0.0.0") ? "localhost:" + boltAddress.getPort()
                    : boltAddress.toString();
            return "{\"bolt_direct\":\"bolt://" + bolt + "\",\"bolt_routing\":\"neo4j://" + bolt + "\","
                    + "\"neo4j_version\":\"" + neo4jVersion() + "\",\"neo4j_edition\":\"community\"}";
        }

        private static String neo4jVersion() {
            String version = DatabaseManagementService.class.getPackage().getImplementationVersion();
            return version == null ? "5" : version;
        }

        private static void handle(HttpExchange exchange, String discovery) throws IOException {
            if (!ALLOWED_METHODS.contains(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", String.join(", ", ALLOWED_METHODS));
                sendText(exchange, 405, "Method not allowed");
                return;
            }
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/")) {
                String accept = String.valueOf(exchange.getRequestHeaders().getFirst("Accept"));
                if (accept.contains("application/json")) {
                    send(exchange, 200, "application/json", discovery.getBytes(StandardCharsets.UTF_8));
                } else {
                    exchange.getResponseHeaders().set("Location", "/browser/");
                    sendText(exchange, 303, "");
                }
                return;
            }
            if (path.equals("/browser")) {
                exchange.getResponseHeaders().set("Location", "/browser/");
                sendText(exchange, 301, "");
                return;
            }
            if (!path.startsWith("/browser/") || path.contains("..")) {
                sendText(exchange, 404, "Not found");
                return;
            }
            String resource = RESOURCE_ROOT + path.substring("/browser/".length());
            if (resource.endsWith("/")) {
                resource += "index.html";
            }
            try (InputStream in = ClassLoader.getSystemResourceAsStream(resource)) {
                if (in == null) {
                    sendText(exchange, 404, "Not found");
                    return;
                }
                String extension = resource.substring(resource.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
                String contentType = CONTENT_TYPES.getOrDefault(extension, "application/octet-stream");
                send(exchange, 200, contentType, in.readAllBytes());
            }
        }

        /** Sends {@code text} as a plain-text response, or no body when {@code text} is empty. */
        private static void sendText(HttpExchange exchange, int status, String text) throws IOException {
            byte[] body = text.isEmpty() ? new byte[0] : (text + "\n").getBytes(StandardCharsets.UTF_8);
            send(exchange, status, "text/plain; charset=utf-8", body);
        }

        private static void send(HttpExchange exchange, int status, String contentType, byte[] body)
                throws IOException {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }
}
