package org.carbonledger.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "demo")
class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 1;
    }
}
