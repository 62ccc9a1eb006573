package org.carbonledger.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "verify")
class VerifyCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 1;
    }
}
