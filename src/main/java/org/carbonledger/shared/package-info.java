/** Value types (money, mass, energy), the calling tenant, the clock, problem details and the database: used by every module. */
@org.springframework.modulith.ApplicationModule(type = org.springframework.modulith.ApplicationModule.Type.OPEN)
package org.carbonledger.shared;
