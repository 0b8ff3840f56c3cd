// A throw-away Neo4j Community server for graphflow's tests (not shipped with graphflow).
//
//   java -cp '.cache/neo4j/jars/*' tests/neo4j_launcher/Launcher.java HOME_DIR
//
// Starts an embedded DBMS (DatabaseManagementServiceBuilder) in HOME_DIR with only the Bolt
// connector, on 127.0.0.1 and a port the OS picks (so two runs never race for one), with
// authentication on. The password for the user "neo4j" is read from the environment variable
// GRAPHFLOW_NEO4J_PASSWORD (never from argv, which other users can read); the page cache size
// in bytes from GRAPHFLOW_NEO4J_PAGECACHE (default 256 MB, enough for the test packs). When the server
// answers, one line goes to stdout:
//
//   GRAPHFLOW-NEO4J-READY bolt://127.0.0.1:PORT Neo4j/VERSION
//
// It stops (cleanly: the store is shut down) when stdin closes, so that it cannot outlive
// the test process that started it, or on SIGTERM / SIGINT.

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.kernel.internal.Version;

public class Launcher {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: Launcher HOME_DIR   (password in GRAPHFLOW_NEO4J_PASSWORD)");
            System.exit(2);
        }
        String password = System.getenv("GRAPHFLOW_NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("GRAPHFLOW_NEO4J_PASSWORD must be set (8 characters or more)");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        String cache = System.getenv("GRAPHFLOW_NEO4J_PAGECACHE");
        long pagecache = cache == null || cache.isEmpty() ? 256L * 1024 * 1024 : Long.parseLong(cache);
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", 0))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", 0))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(10))
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        });
        Runtime.getRuntime().addShutdownHook(hook);

        GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        system.executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                Map.of("password", password));
        GraphDatabaseService neo4j = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        ConnectorPortRegister ports = ((GraphDatabaseAPI) neo4j).getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class);
        var bolt = ports.getLocalAddress(ConnectorType.BOLT);
        System.out.println("GRAPHFLOW-NEO4J-READY bolt://" + bolt.getHost() + ":" + bolt.getPort()
                + " Neo4j/" + Version.getNeo4jVersion());
        System.out.flush();

        // stdin closes when the parent (pytest, a benchmark) ends, even by SIGKILL
        InputStream in = System.in;
        byte[] buf = new byte[256];
        while (in.read(buf) >= 0) {
            // anything written is ignored; only end-of-file matters
        }
        System.exit(0);  // runs the shutdown hook
    }
}
