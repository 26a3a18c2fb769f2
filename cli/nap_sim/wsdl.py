"""The WSDL the simulator publishes at `<endpoint>?wsdl`: one document/literal SOAP 1.1 operation,
`submitInitialVehicleInformation`, whose input is the sealed `InitialVehicleInformation` element itself (left
untyped here: the NAP checks it against the official schema, and a client must send it byte for byte) and whose
output is `SubmitResponse` in `urn:ecoc:nap:1`."""
from xml.sax.saxutils import quoteattr

from common.ivi.schema import IVI_NS
from services.delivery.domain.soap import NAP_NS

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions name="NationalAccessPoint" targetNamespace="{nap}"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:nap="{nap}" xmlns:ivi="{ivi}">
  <wsdl:types>
    <xsd:schema targetNamespace="{ivi}" elementFormDefault="qualified">
      <xsd:element name="InitialVehicleInformation" type="xsd:anyType"/>
    </xsd:schema>
    <xsd:schema targetNamespace="{nap}" elementFormDefault="qualified">
      <xsd:element name="SubmitResponse">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="Status" type="xsd:string"/>
            <xsd:element name="ReceiptId" type="xsd:string" minOccurs="0"/>
            <xsd:element name="Duplicate" type="xsd:boolean" minOccurs="0"/>
            <xsd:element name="Errors" minOccurs="0">
              <xsd:complexType>
                <xsd:sequence>
                  <xsd:element name="Error" minOccurs="0" maxOccurs="unbounded">
                    <xsd:complexType>
                      <xsd:sequence>
                        <xsd:element name="Code" type="xsd:string"/>
                        <xsd:element name="Path" type="xsd:string"/>
                        <xsd:element name="Message" type="xsd:string"/>
                      </xsd:sequence>
                    </xsd:complexType>
                  </xsd:element>
                </xsd:sequence>
              </xsd:complexType>
            </xsd:element>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="SubmitRequest"><wsdl:part name="message" element="ivi:InitialVehicleInformation"/></wsdl:message>
  <wsdl:message name="SubmitResponse"><wsdl:part name="response" element="nap:SubmitResponse"/></wsdl:message>
  <wsdl:portType name="NapPortType">
    <wsdl:operation name="submitInitialVehicleInformation">
      <wsdl:input message="nap:SubmitRequest"/>
      <wsdl:output message="nap:SubmitResponse"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="NapBinding" type="nap:NapPortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="submitInitialVehicleInformation">
      <soap:operation soapAction="submitInitialVehicleInformation"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="NationalAccessPoint">
    <wsdl:port name="NapPort" binding="nap:NapBinding"><soap:address location={location}/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""


def wsdl(endpoint):
    return TEMPLATE.format(nap=NAP_NS, ivi=IVI_NS, location=quoteattr(endpoint)).encode("utf-8")
