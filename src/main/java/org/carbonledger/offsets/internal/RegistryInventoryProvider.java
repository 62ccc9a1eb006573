package org.carbonledger.offsets.internal;

import java.math.BigDecimal;
import org.carbonledger.offsets.OffsetLot;
import org.carbonledger.offsets.OffsetLots;
import org.carbonledger.offsets.OffsetProvider;
import org.carbonledger.shared.Co2eMass;
import org.carbonledger.shared.web.ApiProblem;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Registry inventory: retires the whole credits that cover the mass — the next free serials of the product's oldest
 * lot that still holds enough — and allocates them to the tenant's outstanding paid emissions at once.
 */
@Component
class RegistryInventoryProvider implements OffsetProvider {

    private final JdbcClient jdbc;
    private final AllocationLedger ledger;

    RegistryInventoryProvider(JdbcClient jdbc, AllocationLedger ledger) {
        this.jdbc = jdbc;
        this.ledger = ledger;
    }

    @Override
    public Kind kind() {
        return Kind.REGISTRY_INVENTORY;
    }

    @Override
    public Procurement procure(Request r) {
        long tonnes = Co2eMass.ofGrams(r.co2eGrams()).wholeTonnesToCover();
        OffsetLot lot = jdbc.sql("""
                select * from offset_lots where product_id = ? and serial_last - serial_first + 1 - retired_tonnes >= ?
                 order by vintage, created_at, id limit 1 for update""")
                .params(r.product().id(), tonnes).query(OffsetLots::map).optional()
                .orElseThrow(() -> new ApiProblem(HttpStatus.CONFLICT, "Not enough credits held",
                        "no lot of product " + r.product().id() + " holds " + tonnes + " t not yet retired",
                        "productId"));
        long first = lot.serialFirst() + lot.retiredTonnes();
        var id = ledger.recordRegistryRetirement(new AllocationLedger.RegistryRetirement(r.tenantId(), lot.id(),
                tonnes, lot.serialPrefix() + "-" + first + "-" + (first + tonnes - 1), r.beneficiary(),
                "Emissions of AI inference paid and not covered at payment"));
        return new Procurement(r.id(), kind(), r.tenantId(), r.product().id(),
                BigDecimal.valueOf(tonnes).multiply(Co2eMass.GRAMS_PER_TONNE), State.RETIRED, id, null, null);
    }
}
