import Credentials
import Testing

@Suite("XMLElement: small AWS answers, hostile ones refused")
struct XMLElementTests {
    @Test("nesting and order: the instance's own tags, not a network interface's, whatever the element order")
    func nesting() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
              <reservationSet><item><instancesSet><item>
                <networkInterfaceSet><item><tagSet><item><key>Role</key><value>eni</value></item></tagSet></item></networkInterfaceSet>
                <tagSet><item><key>Role</key><value>a &amp; b</value></item><item><key>Empty</key><value/></item></tagSet>
                <instanceId>i-1</instanceId>
              </item></instancesSet></item></reservationSet>
            </DescribeInstancesResponse>
            """
        let root = try #require(XMLElement.parse(xml))
        let instance = try #require(root["reservationSet"]?.items.first?["instancesSet"]?.items.first)
        #expect(instance["instanceId"]?.text == "i-1")
        let tags = instance["tagSet"]?.items.map { [$0["key"]?.text ?? "", $0["value"]?.text ?? "<none>"] }
        #expect(tags == [["Role", "a & b"], ["Empty", ""]])
    }

    @Test("not well nested, unterminated, two roots or deeper than the limit: nil, never a crash")
    func hostile() {
        #expect(XMLElement.parse("<a><b></a></b>") == nil)
        #expect(XMLElement.parse("<a><b>") == nil)
        #expect(XMLElement.parse("<a") == nil)
        #expect(XMLElement.parse("<a></a><b></b>") == nil)
        #expect(
            XMLElement.parse(String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000))
                == nil
        )
        #expect(
            XMLElement.parse(String(repeating: "<a>", count: 10) + String(repeating: "</a>", count: 10))?.name == "a"
        )
    }
}
