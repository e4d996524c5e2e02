"""The industries every installation starts with (loaded by a data migration)."""

INDUSTRIES = [
    ("catering", "餐饮", "Catering"),
    ("lodging", "住宿", "Lodging"),
    ("tourism", "旅游景区", "Tourist attractions"),
    ("entertainment", "文化娱乐", "Culture and entertainment"),
    ("retail", "零售", "Retail"),
    ("ecommerce", "电子商务", "E-commerce"),
    ("education", "教育培训", "Education and training"),
    ("services", "生活服务", "Personal services"),
    ("auto", "汽车", "Automotive"),
    ("telecom", "通信", "Telecommunications"),
    ("other", "其他", "Other"),
]
