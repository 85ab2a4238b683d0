package dev.agt.engine.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DatabaseTest {
    @Test
    void aLibpqUriNamesTheDatabaseWithoutItsPassword() {
        Database db = Database.of("postgresql://agt_engine:s3cr%40t@db.internal:5433/agt?sslmode=require");
        assertEquals("postgresql://agt_engine@db.internal:5433/agt?sslmode=require", db.display());
        assertFalse(db.display().contains("s3cr"));
    }

    @Test
    void aPasswordInTheQueryOrAJdbcUrlIsRedacted() {
        assertFalse(Database.of("postgresql://u@h/db?password=hunter2").display().contains("hunter2"));
        assertFalse(Database.of("jdbc:postgresql://h/db?user=u&password=hunter2").display().contains("hunter2"));
    }

    @Test
    void whatIsNotAPostgresqlUrlIsRefusedSayingWhatToWrite() {
        for (String bad : new String[] {"", "mysql://u@h/db", "postgresql://u@/db", "postgresql://u@h", "postgresql://u@h/", "/var/lib/agt"}) {
            Database.BadUrl e = assertThrows(Database.BadUrl.class, () -> Database.of(bad), bad);
            assertTrue(e.getMessage().contains("postgresql://"), e.getMessage());
        }
        for (String leaky : new String[] {"mysql://u:hunter2@h/db", "postgresql://u:hun/ter2@h/db", "postgresql://u:hunter2@/db",
                "mysql://u:hu@nter2@h/db"}) {
            Database.BadUrl e = assertThrows(Database.BadUrl.class, () -> Database.of(leaky), leaky);
            assertFalse(e.getMessage().contains("hunter2") || e.getMessage().contains("ter2"), e.getMessage());
        }
    }

    @Test
    void theEnginesTimeoutsCannotBeOverriddenFromTheUrl() {
        for (String url : new String[] {"postgresql://u@h/db?options=-c%20lock_timeout=0", "postgresql://u@h/db?sslmode=require&socketTimeout=0"}) {
            Database.BadUrl e = assertThrows(Database.BadUrl.class, () -> Database.of(url), url);
            assertTrue(e.getMessage().contains("set by agt"), e.getMessage());
        }
    }

    @Test
    void migrationsAreNumberedInOrderAndCarryTheirDigest() {
        for (int i = 0; i < Migrations.ALL.size(); i++) {
            assertEquals(i + 1, Migrations.ALL.get(i).version());
            assertEquals(64, Migrations.ALL.get(i).sha256().length());
        }
        assertEquals(Migrations.ALL.size(), Migrations.LATEST);
    }
}
