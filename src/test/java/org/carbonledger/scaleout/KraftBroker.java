package org.carbonledger.scaleout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * A single-node Apache Kafka KRaft broker (controller and broker in one process) from the Kafka jars the build
 * resolves, for the scale-out run ({@code deploy/scale-out/run.sh}) on a machine without a Kafka installation.
 * Arguments: the port to listen on, and a file to which the bootstrap address is written once the broker is up.
 * Runs until the process is stopped.
 */
public final class KraftBroker {

    private KraftBroker() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path ready = Path.of(args[1]);
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
        broker.kafkaPorts(port);
        broker.afterPropertiesSet();
        Runtime.getRuntime().addShutdownHook(new Thread(broker::destroy));
        Files.writeString(ready, broker.getBrokersAsString() + "\n");
        System.out.println("Kafka KRaft broker listening on " + broker.getBrokersAsString());
        new CountDownLatch(1).await();
    }
}
