"""Code lists shared by several views (from leo_schema.md; [I] marks inferred lists)."""

YES_NO = {0: "no", 1: "yes"}

GENDER = {"M": "male", "F": "female"}

REGIONS = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}

COUNTRY = {
    "E92000001": "England",
    "W92000004": "Wales",
    "S92000003": "Scotland",
    "N92000002": "Northern Ireland",
    "Abroad": "Abroad",
    "Unknown": "Unknown",
}
COUNTRY_NAMES = ["Abroad", "England", "Northern Ireland", "Scotland", "Unknown", "Wales"]

ETHNIC_MAJOR = {
    "WHIT": "White",
    "ASIA": "Asian",
    "BLAC": "Black",
    "CHIN": "Chinese",
    "MIXD": "Mixed",
    "AOEG": "Any other ethnic group",
    "UNCL": "Unclassified",
}

SEN_PROVISION = {"N": "no SEN", "A": "School Action", "P": "School Action Plus", "S": "statement"}

KS2_LEVEL = {
    "2": "level 2",
    "3": "level 3",
    "4": "level 4",
    "5": "level 5",
    "B": "working below the level of the test",
    "N": "not awarded a level",
    "A": "absent",
    "T": "unable to access the test",
    "L": "left",
    "M": "missing",
}

SIC_SECTIONS = {
    "A": "Agriculture, forestry and fishing",
    "B": "Mining and quarrying",
    "C": "Manufacturing",
    "D": "Electricity, gas, steam and air conditioning supply",
    "E": "Water supply; sewerage, waste management and remediation activities",
    "F": "Construction",
    "G": "Wholesale and retail trade; repair of motor vehicles and motorcycles",
    "H": "Transportation and storage",
    "I": "Accommodation and food service activities",
    "J": "Information and communication",
    "K": "Financial and insurance activities",
    "L": "Real estate activities",
    "M": "Professional, scientific and technical activities",
    "N": "Administrative and support service activities",
    "O": "Public administration and defence; compulsory social security",
    "P": "Education",
    "Q": "Human health and social work activities",
    "R": "Arts, entertainment and recreation",
    "S": "Other service activities",
}

IDBR_LEGAL_STATUS = {
    "1": "company",
    "2": "sole proprietor",
    "3": "partnership",
    "4": "public corporation",
    "5": "central government",
    "6": "local authority",
    "7": "non-profit body",
}

IDBR_EMPLOYEE_BANDS = [
    "0-4",
    "5-9",
    "10-19",
    "20-49",
    "50-99",
    "100-249",
    "250-499",
    "500-999",
    "1000+",
]

BENEFIT_TYPES = {
    "JSA": "Jobseeker's Allowance",
    "ESA": "Employment and Support Allowance",
    "IB": "Incapacity Benefit",
    "IS": "Income Support",
    "PIB": "Pension / incapacity (PIB)",
    "SDA": "Severe Disablement Allowance",
    "PC": "Pension Credit",
    "JTA": "JSA training allowance",
    "DLA": "Disability Living Allowance",
    "PIP": "Personal Independence Payment",
    "ICA": "Carer's Allowance",
    "AA": "Attendance Allowance",
    "BB": "Bereavement Benefit",
    "WB": "Widow's Benefit",
    "RP": "Retirement Pension",
    "UAA": "Universal Credit, conditionality group UAA [I]",
    "UAB": "Universal Credit, conditionality group UAB [I]",
    "UBC": "Universal Credit, conditionality group UBC [I]",
    "UBD": "Universal Credit, conditionality group UBD [I]",
    "UCE": "Universal Credit, conditionality group UCE [I]",
    "UDF": "Universal Credit, conditionality group UDF [I]",
    "UNA": "Universal Credit, conditionality group UNA [I]",
}
# FFT's reading of which types are out-of-work; the source flag Out_of_work_benefit wins.
OUT_OF_WORK_TYPES = {
    "JSA",
    "JTA",
    "ESA",
    "IB",
    "IS",
    "PIB",
    "SDA",
    "PC",
    "UAA",
    "UBC",
    "UCE",
    "UDF",
}

HE_XLEV601 = {
    1: "higher degree (research)",
    2: "higher degree (taught)",
    3: "other postgraduate",
    4: "first degree",
    5: "other undergraduate",
    6: "further education",
}
HE_XMODE01 = {
    1: "full-time",
    2: "sandwich",
    3: "part-time",
    4: "writing-up",
    5: "sabbatical",
    6: "dormant",
    7: "FE continuous",
    8: "FE in England",
    9: "not applicable",
}
HE_XCLASS01 = {
    1: "first",
    2: "upper second (2:1)",
    3: "lower second (2:2)",
    4: "third / pass",
    5: "unclassified",
    8: "not applicable",
    9: "FE",
}
HE_XQOBTN01 = {
    "H00": "first degree with honours",
    "H11": "first degree with honours and QTS",
    "H16": "pre-registration first degree (health)",
    "J00": "ordinary first degree",
    "M00": "taught masters",
    "M22": "integrated undergraduate masters",
    "M71": "PGCE",
    "D00": "doctorate",
    "": "no qualification obtained",
}
FIRST_DEGREE_QUALS = ("H00", "H11", "H16", "J00", "M22")
HE_RSNEND = {
    "01": "successful completion of course",
    "02": "academic failure",
    "03": "transferred to another provider",
    "04": "health reasons",
    "05": "death",
    "06": "financial reasons",
    "07": "other personal reasons",
    "08": "written off after lapse of time",
    "09": "exclusion",
    "11": "gone into employment",
    "98": "other",
    "99": "not known",
}
JACS_AREAS = {
    "A": "Medicine and dentistry",
    "B": "Subjects allied to medicine",
    "C": "Biological sciences",
    "F": "Physical sciences",
    "G": "Mathematical and computer sciences",
    "H": "Engineering",
    "K": "Architecture, building and planning",
    "L": "Social studies",
    "M": "Law",
    "N": "Business and administrative studies",
    "P": "Mass communications and documentation",
    "Q": "Linguistics, classics and related",
    "V": "Historical and philosophical studies",
    "W": "Creative arts and design",
    "X": "Education",
}

UCAS_DECISION = {
    "C": "Conditional offer",
    "U": "Unconditional offer",
    "R": "Rejected",
    "W": "Withdrawn",
}
UCAS_RESPONSE = {"F": "Firm", "I": "Insurance", "D": "Declined"}
UCAS_ACCEPTANCE_ROUTE = {
    "1": "Firm",
    "2": "Insurance",
    "3": "Main Scheme Clearing",
    "4": "Direct Clearing",
    "5": "Adjustment",
    "6": "Extra",
    "7": "RPA",
    "8": "Other Main Scheme Choice",
}
UCAS_APPLICATION_ROUTE = {
    "M": "Main scheme",
    "A": "Adjustment",
    "C": "Clearing",
    "E": "Extra",
    "R": "RPA",
}
UCAS_TARIFF_GROUP = {"H": "Higher tariff", "M": "Medium tariff", "L": "Lower tariff"}
A_LEVEL_TARIFF = {"A*": 56, "A": 48, "B": 40, "C": 32, "D": 24, "E": 16}
QUALIFICATION_STATUS = {"P": "Pending", "G": "Gained"}
