package dev.agt.tests;

import dev.agt.tests.catalogue.ActionCatalogue;
import java.util.List;

/** The names of every action in the catalogue, so a test can require an outcome for each. */
final class ActionCatalogueNames {
    static final List<String> ALL = List.copyOf(ActionCatalogue.ACTIONS.keySet());

    private ActionCatalogueNames() {
    }
}
