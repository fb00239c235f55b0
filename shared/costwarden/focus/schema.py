"""The FOCUS 1.2 Cost and Usage dataset: columns, types and allowed values.

Checked against the FinOps Foundation's machine-readable 1.2 model (``model-1.2.0.1.json``
shipped in ``focus-validator`` 2.2.1, rules ``CostAndUsage-D-003-C`` .. ``D-068-M``) and the
specification text: 57 columns, 21 Mandatory, 3 Recommended (ChargeFrequency, InvoiceId,
ServiceSubcategory), 33 Conditional. The specification lists columns alphabetically by column
ID, and so does ``FOCUS_COLUMNS``.

Storage types are what costwarden writes: money, prices and quantities as DECIMAL(38,10)
(exact sums, so BilledCost reconciles to the cent), date/times as TIMESTAMPTZ in UTC, key-value
columns (Tags, SkuPriceDetails) as a VARCHAR holding a JSON object.

One deliberate difference from the validator's model: it lists CommitmentDiscountStatus values
as Active/Expired/Pending, which are not 1.2 values; the specification says Used/Unused, and
that is what is checked here.

Pure data: no DuckDB import, so anything may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FeatureLevel = Literal["Mandatory", "Recommended", "Conditional"]
DataType = Literal["Decimal", "DateTime", "String", "KeyValue"]

DECIMAL_TYPE = "DECIMAL(38,10)"
DATETIME_TYPE = "TIMESTAMP WITH TIME ZONE"
STRING_TYPE = "VARCHAR"

_STORAGE: dict[DataType, str] = {
    "Decimal": DECIMAL_TYPE,
    "DateTime": DATETIME_TYPE,
    "String": STRING_TYPE,
    "KeyValue": STRING_TYPE,
}


@dataclass(frozen=True)
class FocusColumn:
    """One FOCUS column.

    ``nullable`` is False when the specification says the column MUST NOT be null whenever it is
    present (e.g. BilledCost, ChargeFrequency); conditional nullability (SkuId null for taxes, ...)
    is a row rule in ``checks``, not a property of the column.
    """

    name: str
    data_type: DataType
    level: FeatureLevel
    nullable: bool = True

    @property
    def duckdb_type(self) -> str:
        return _STORAGE[self.data_type]

    @property
    def mandatory(self) -> bool:
        return self.level == "Mandatory"


def _c(
    name: str, data_type: DataType, level: FeatureLevel, *, nullable: bool = True
) -> FocusColumn:
    return FocusColumn(name, data_type, level, nullable)


M: FeatureLevel = "Mandatory"
R: FeatureLevel = "Recommended"
C: FeatureLevel = "Conditional"

FOCUS_COLUMNS: tuple[FocusColumn, ...] = (
    _c("AvailabilityZone", "String", C),
    _c("BilledCost", "Decimal", M, nullable=False),
    _c("BillingAccountId", "String", M, nullable=False),
    # MUST NOT be null when the provider supports naming billing accounts; some sources have no
    # name column, so a null is a warning in `checks`, not a type-level rule.
    _c("BillingAccountName", "String", M),
    _c("BillingAccountType", "String", C),
    _c("BillingCurrency", "String", M, nullable=False),
    _c("BillingPeriodEnd", "DateTime", M, nullable=False),
    _c("BillingPeriodStart", "DateTime", M, nullable=False),
    _c("CapacityReservationId", "String", C),
    _c("CapacityReservationStatus", "String", C),
    _c("ChargeCategory", "String", M, nullable=False),
    _c("ChargeClass", "String", M),
    _c("ChargeDescription", "String", M),
    _c("ChargeFrequency", "String", R, nullable=False),
    _c("ChargePeriodEnd", "DateTime", M, nullable=False),
    _c("ChargePeriodStart", "DateTime", M, nullable=False),
    _c("CommitmentDiscountCategory", "String", C),
    _c("CommitmentDiscountId", "String", C),
    _c("CommitmentDiscountName", "String", C),
    _c("CommitmentDiscountQuantity", "Decimal", C),
    _c("CommitmentDiscountStatus", "String", C),
    _c("CommitmentDiscountType", "String", C),
    _c("CommitmentDiscountUnit", "String", C),
    _c("ConsumedQuantity", "Decimal", C),
    _c("ConsumedUnit", "String", C),
    _c("ContractedCost", "Decimal", M, nullable=False),
    _c("ContractedUnitPrice", "Decimal", C),
    _c("EffectiveCost", "Decimal", M, nullable=False),
    _c("InvoiceId", "String", R),
    _c("InvoiceIssuerName", "String", M, nullable=False),
    _c("ListCost", "Decimal", M, nullable=False),
    _c("ListUnitPrice", "Decimal", C),
    _c("PricingCategory", "String", C),
    _c("PricingCurrency", "String", C),
    _c("PricingCurrencyContractedUnitPrice", "Decimal", C),
    _c("PricingCurrencyEffectiveCost", "Decimal", C),
    _c("PricingCurrencyListUnitPrice", "Decimal", C),
    _c("PricingQuantity", "Decimal", M),
    _c("PricingUnit", "String", M),
    _c("ProviderName", "String", M, nullable=False),
    _c("PublisherName", "String", M, nullable=False),
    _c("RegionId", "String", C),
    _c("RegionName", "String", C),
    _c("ResourceId", "String", C),
    _c("ResourceName", "String", C),
    _c("ResourceType", "String", C),
    _c("ServiceCategory", "String", M, nullable=False),
    _c("ServiceName", "String", M, nullable=False),
    _c("ServiceSubcategory", "String", R, nullable=False),
    _c("SkuId", "String", C),
    _c("SkuMeter", "String", C),
    _c("SkuPriceDetails", "KeyValue", C),
    _c("SkuPriceId", "String", C),
    _c("SubAccountId", "String", C),
    _c("SubAccountName", "String", C),
    _c("SubAccountType", "String", C),
    _c("Tags", "KeyValue", C),
)

COLUMNS_BY_NAME: dict[str, FocusColumn] = {c.name: c for c in FOCUS_COLUMNS}
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in FOCUS_COLUMNS)
MANDATORY_COLUMNS: tuple[str, ...] = tuple(c.name for c in FOCUS_COLUMNS if c.mandatory)
NOT_NULL_COLUMNS: tuple[str, ...] = tuple(c.name for c in FOCUS_COLUMNS if not c.nullable)

# Custom (provider or costwarden) columns MUST carry this prefix.
CUSTOM_COLUMN_PREFIX = "x_"

CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
CHARGE_CLASSES = ("Correction",)
CHARGE_FREQUENCIES = ("One-Time", "Recurring", "Usage-Based")
PRICING_CATEGORIES = ("Standard", "Dynamic", "Committed", "Other")
COMMITMENT_DISCOUNT_CATEGORIES = ("Spend", "Usage")
COMMITMENT_DISCOUNT_STATUSES = ("Used", "Unused")
CAPACITY_RESERVATION_STATUSES = ("Used", "Unused")

# ServiceSubcategory -> its one parent ServiceCategory (FOCUS 1.2 appendix).
SERVICE_SUBCATEGORIES: dict[str, str] = {
    **dict.fromkeys(
        (
            "AI Platforms",
            "Bots",
            "Generative AI",
            "Machine Learning",
            "Natural Language Processing",
            "Other (AI and Machine Learning)",
        ),
        "AI and Machine Learning",
    ),
    **dict.fromkeys(
        (
            "Analytics Platforms",
            "Business Intelligence",
            "Data Processing",
            "Search",
            "Streaming Analytics",
            "Other (Analytics)",
        ),
        "Analytics",
    ),
    **dict.fromkeys(
        ("Productivity and Collaboration", "Other (Business Applications)"),
        "Business Applications",
    ),
    **dict.fromkeys(
        (
            "Containers",
            "End User Computing",
            "Quantum Compute",
            "Serverless Compute",
            "Virtual Machines",
            "Other (Compute)",
        ),
        "Compute",
    ),
    **dict.fromkeys(
        (
            "Caching",
            "Data Warehouses",
            "Ledger Databases",
            "NoSQL Databases",
            "Relational Databases",
            "Time Series Databases",
            "Other (Databases)",
        ),
        "Databases",
    ),
    **dict.fromkeys(
        (
            "Developer Platforms",
            "Continuous Integration and Deployment",
            "Development Environments",
            "Source Code Management",
            "Quality Assurance",
            "Other (Developer Tools)",
        ),
        "Developer Tools",
    ),
    **dict.fromkeys(("Identity and Access Management", "Other (Identity)"), "Identity"),
    **dict.fromkeys(
        ("API Management", "Messaging", "Workflow Orchestration", "Other (Integration)"),
        "Integration",
    ),
    **dict.fromkeys(
        ("IoT Analytics", "IoT Platforms", "Other (Internet of Things)"), "Internet of Things"
    ),
    **dict.fromkeys(
        (
            "Architecture",
            "Compliance",
            "Cost Management",
            "Data Governance",
            "Disaster Recovery",
            "Endpoint Management",
            "Observability",
            "Support",
            "Other (Management and Governance)",
        ),
        "Management and Governance",
    ),
    **dict.fromkeys(
        ("Content Creation", "Gaming", "Media Streaming", "Mixed Reality", "Other (Media)"),
        "Media",
    ),
    **dict.fromkeys(("Data Migration", "Resource Migration", "Other (Migration)"), "Migration"),
    "Other (Mobile)": "Mobile",
    **dict.fromkeys(("Multicloud Integration", "Other (Multicloud)"), "Multicloud"),
    **dict.fromkeys(
        (
            "Application Networking",
            "Content Delivery",
            "Network Connectivity",
            "Network Infrastructure",
            "Network Routing",
            "Network Security",
            "Other (Networking)",
        ),
        "Networking",
    ),
    **dict.fromkeys(
        (
            "Secret Management",
            "Security Posture Management",
            "Threat Detection and Response",
            "Other (Security)",
        ),
        "Security",
    ),
    **dict.fromkeys(
        (
            "Backup Storage",
            "Block Storage",
            "File Storage",
            "Object Storage",
            "Storage Platforms",
            "Other (Storage)",
        ),
        "Storage",
    ),
    **dict.fromkeys(("Application Platforms", "Other (Web)"), "Web"),
    "Other (Other)": "Other",
}

SERVICE_CATEGORIES: tuple[str, ...] = (
    "AI and Machine Learning",
    "Analytics",
    "Business Applications",
    "Compute",
    "Databases",
    "Developer Tools",
    "Identity",
    "Integration",
    "Internet of Things",
    "Management and Governance",
    "Media",
    "Migration",
    "Mobile",
    "Multicloud",
    "Networking",
    "Security",
    "Storage",
    "Web",
    "Other",
)

# Enum columns -> allowed non-null values. ServiceSubcategory's parent is checked separately.
ALLOWED_VALUES: dict[str, tuple[str, ...]] = {
    "ChargeCategory": CHARGE_CATEGORIES,
    "ChargeClass": CHARGE_CLASSES,
    "ChargeFrequency": CHARGE_FREQUENCIES,
    "PricingCategory": PRICING_CATEGORIES,
    "CommitmentDiscountCategory": COMMITMENT_DISCOUNT_CATEGORIES,
    "CommitmentDiscountStatus": COMMITMENT_DISCOUNT_STATUSES,
    "CapacityReservationStatus": CAPACITY_RESERVATION_STATUSES,
    "ServiceCategory": SERVICE_CATEGORIES,
    "ServiceSubcategory": tuple(SERVICE_SUBCATEGORIES),
}

# ISO 4217 alphabetic codes in use (national currencies, plus the fund and precious-metal codes
# the standard also lists). BillingCurrency must be one of these; PricingCurrency may also be a
# virtual currency (credits, tokens), so it is not held to this list.
_ISO_4217 = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD
XCG XDR XOF XPF XSU XUA YER ZAR ZMW ZWG ZWL
"""
ISO_4217_CODES: frozenset[str] = frozenset(_ISO_4217.split())


def is_custom_column(name: str) -> bool:
    return name.startswith(CUSTOM_COLUMN_PREFIX)
