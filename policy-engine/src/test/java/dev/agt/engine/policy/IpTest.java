package dev.agt.engine.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpTest {

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "10.1.2.3", "255.255.255.255", "::", "::1", "fe80::1", "2001:db8::8:800:200c:417a",
            "1:2:3:4:5:6:7:8", "::ffff:10.0.0.1", "64:ff9b::192.0.2.33"})
    void literalsParseLikeTheJdk(String literal) throws Exception {
        byte[] jdk = InetAddress.getByName(literal).getAddress();
        assertArrayEquals(jdk, Ip.parse(literal), literal);
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1:2:3:4:5:6:7:8:9", "1::2::3", ":::", "g::1", ""})
    void nonLiteralsAreNotAddresses(String text) {
        assertNull(Ip.parse(text), text);
    }

    @ParameterizedTest(name = "{0} contains {1} = {2}")
    @CsvSource({
            "10.0.0.0/8, 10.255.1.1, true",
            "10.0.0.0/8, 11.0.0.1, false",
            "10.0.0.0/8, ::ffff:10.9.9.9, true",
            "169.254.0.0/16, 169.254.169.254, true",
            "192.168.1.0/25, 192.168.1.127, true",
            "192.168.1.0/25, 192.168.1.128, false",
            "fd00::/8, fd12::1, true",
            "fd00::/8, fe12::1, false",
            "0.0.0.0/0, 8.8.8.8, true",
            "127.0.0.1, 127.0.0.1, true",
            "127.0.0.1, 127.0.0.2, false",
    })
    void cidrs(String cidr, String ip, boolean expected) {
        assertEquals(expected, Ip.Cidr.parse(cidr).contains(Ip.parse(ip)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/x", "foo/8", "fd00::1/8"})
    void badCidrsAreRefused(String cidr) {
        assertThrows(IllegalArgumentException.class, () -> Ip.Cidr.parse(cidr));
    }
}
