package org.carbonledger.scaleout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * A single-node Apache Kafka KRaft broker (controller and broker in one process) from the Kafka jars the build
 * resolves, for the scale-out run ({@code deploy/scale-out/run.sh}) on a machine without a Kafka installation.
 * Argument: a file to which the bootstrap address (a free port) is written once the broker is up.
 * Runs until the process is stopped.
 */
public final class KraftBroker {

    private KraftBroker() {
    }

    public static void main(String[] args) throws Exception {
        Path ready = Path.of(args[0]);
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
        broker.afterPropertiesSet();
        Runtime.getRuntime().addShutdownHook(new Thread(broker::destroy));
        Files.writeString(ready, broker.getBrokersAsString() + "\n");
        System.out.println("Kafka KRaft broker listening on " + broker.getBrokersAsString());
        new CountDownLatch(1).await();
    }
}
