"""The fixed words around an analysis, in the analysis's (or the reader's) language.

Headlines and sections come from the analyser in the article's language; the labels
around them ("3 min read", "Source", the disclaimer) come from here, so a German
analysis does not wear English labels. A language or a key without a translation
falls back to English: a label is never missing, only untranslated.
"""

from __future__ import annotations

import re
from typing import Final

DEFAULT: Final = "en"

# Each language's name in that language: what /language shows and accepts.
LANGUAGE_NAMES: Final[dict[str, str]] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "pt": "Português",
    "nl": "Nederlands",
    "pl": "Polski",
    "ru": "Русский",
    "uk": "Українська",
    "tr": "Türkçe",
    "ar": "العربية",
    "he": "עברית",
    "ja": "日本語",
    "ko": "한국어",
    "zh": "中文",
    "el": "Ελληνικά",
}

RIGHT_TO_LEFT: Final = frozenset({"ar", "he", "fa", "ur"})

_EN: Final[dict[str, str]] = {
    "label.claude": "AI analysis",
    "label.offline": "Automatic extract",
    "label.seed": "Sample analysis",
    "label.default": "Analysis",
    "min_read": "{n} min read",
    "source": "Source",
    "related": "Related",
    "related_articles": "Related articles",
    "read_on_web": "Read on the web",
    "thoughts": "Thoughts",
    "useful": "Useful",
    "inaccurate": "Inaccurate",
    "daily_digest": "Daily digest",
    "digest_preview": "Digest preview",
    "disclaimer.claude": (
        "AI analysis written by Claude from the source article. It can contain mistakes: "
        "check the source before relying on it."
    ),
    "disclaimer.offline": (
        "Automatic extract of the source article, made without AI: not an analysis. "
        "Read the source for the full story."
    ),
    "disclaimer.seed": "Sample analysis shipped with prism-bot to show what analyses look like.",
    "disclaimer.default": "Generated automatically from the source article: check the source.",
    "untranslated": (
        "This automatic extract is in {language}: the offline analyser cannot translate. "
        "With a Claude API key, analyses are written in your language."
    ),
}

_TRANSLATIONS: Final[dict[str, dict[str, str]]] = {
    "en": _EN,
    "de": {
        "label.claude": "KI-Analyse",
        "label.offline": "Automatischer Auszug",
        "label.seed": "Beispielanalyse",
        "label.default": "Analyse",
        "min_read": "{n} Min. Lesezeit",
        "source": "Quelle",
        "related": "Verwandt",
        "related_articles": "Verwandte Artikel",
        "read_on_web": "Im Web lesen",
        "thoughts": "Meinungen",
        "useful": "Nützlich",
        "inaccurate": "Ungenau",
        "daily_digest": "Tägliche Übersicht",
        "digest_preview": "Vorschau der Übersicht",
        "disclaimer.claude": (
            "KI-Analyse, von Claude aus dem Quellartikel geschrieben. Sie kann Fehler "
            "enthalten: Prüfen Sie die Quelle, bevor Sie sich darauf verlassen."
        ),
        "disclaimer.offline": (
            "Automatischer Auszug aus dem Quellartikel, ohne KI erstellt: keine Analyse. "
            "Die ganze Geschichte steht in der Quelle."
        ),
        "disclaimer.seed": "Beispielanalyse aus prism-bot, die zeigt, wie Analysen aussehen.",
        "disclaimer.default": ("Automatisch aus dem Quellartikel erstellt: Prüfen Sie die Quelle."),
        "untranslated": (
            "Dieser automatische Auszug ist auf {language}: Der Offline-Analysator kann "
            "nicht übersetzen. Mit einem Claude-API-Schlüssel entstehen Analysen in Ihrer "
            "Sprache."
        ),
    },
    "fr": {
        "label.claude": "Analyse IA",
        "label.offline": "Extrait automatique",
        "label.seed": "Analyse d’exemple",
        "label.default": "Analyse",
        "min_read": "{n} min de lecture",
        "source": "Source",
        "related": "Sur le même sujet",
        "related_articles": "Articles liés",
        "read_on_web": "Lire sur le web",
        "thoughts": "Avis",
        "useful": "Utile",
        "inaccurate": "Inexact",
        "daily_digest": "Résumé du jour",
        "digest_preview": "Aperçu du résumé",
        "disclaimer.claude": (
            "Analyse rédigée par l’IA Claude à partir de l’article source. Elle peut "
            "contenir des erreurs : vérifiez la source avant de vous y fier."
        ),
        "disclaimer.offline": (
            "Extrait automatique de l’article source, réalisé sans IA : ce n’est pas une "
            "analyse. Lisez la source pour l’article complet."
        ),
        "disclaimer.seed": "Analyse d’exemple fournie avec prism-bot pour montrer le format.",
        "disclaimer.default": "Produit automatiquement à partir de l’article source : "
        "vérifiez la source.",
        "untranslated": (
            "Cet extrait automatique est en {language} : l’analyseur hors ligne ne sait pas "
            "traduire. Avec une clé d’API Claude, les analyses sont rédigées dans votre langue."
        ),
    },
    "es": {
        "label.claude": "Análisis con IA",
        "label.offline": "Extracto automático",
        "label.seed": "Análisis de muestra",
        "label.default": "Análisis",
        "min_read": "{n} min de lectura",
        "source": "Fuente",
        "related": "Relacionados",
        "related_articles": "Artículos relacionados",
        "read_on_web": "Leer en la web",
        "thoughts": "Opiniones",
        "useful": "Útil",
        "inaccurate": "Inexacto",
        "daily_digest": "Resumen diario",
        "digest_preview": "Vista previa del resumen",
        "disclaimer.claude": (
            "Análisis escrito por Claude (IA) a partir del artículo original. Puede contener "
            "errores: compruebe la fuente antes de fiarse de él."
        ),
        "disclaimer.offline": (
            "Extracto automático del artículo original, hecho sin IA: no es un análisis. "
            "Lea la fuente para conocer la historia completa."
        ),
        "disclaimer.seed": "Análisis de muestra incluido en prism-bot para mostrar el formato.",
        "disclaimer.default": "Generado automáticamente a partir del artículo: "
        "compruebe la fuente.",
        "untranslated": (
            "Este extracto automático está en {language}: el analizador sin conexión no puede "
            "traducir. Con una clave de API de Claude, los análisis se escriben en su idioma."
        ),
    },
    "it": {
        "label.claude": "Analisi IA",
        "label.offline": "Estratto automatico",
        "label.seed": "Analisi di esempio",
        "label.default": "Analisi",
        "min_read": "{n} min di lettura",
        "source": "Fonte",
        "related": "Correlati",
        "related_articles": "Articoli correlati",
        "read_on_web": "Leggi sul web",
        "thoughts": "Opinioni",
        "useful": "Utile",
        "inaccurate": "Impreciso",
        "daily_digest": "Riepilogo del giorno",
        "digest_preview": "Anteprima del riepilogo",
        "disclaimer.claude": (
            "Analisi scritta dall’IA Claude a partire dall’articolo originale. Può contenere "
            "errori: verifica la fonte prima di fidarti."
        ),
        "disclaimer.offline": (
            "Estratto automatico dell’articolo originale, fatto senza IA: non è un’analisi. "
            "Leggi la fonte per la storia completa."
        ),
        "disclaimer.seed": "Analisi di esempio inclusa in prism-bot per mostrarne il formato.",
        "disclaimer.default": "Generato automaticamente dall’articolo: verifica la fonte.",
        "untranslated": (
            "Questo estratto automatico è in {language}: l’analizzatore offline non sa "
            "tradurre. Con una chiave API di Claude le analisi sono scritte nella tua lingua."
        ),
    },
    "pt": {
        "label.claude": "Análise com IA",
        "label.offline": "Extrato automático",
        "label.seed": "Análise de exemplo",
        "label.default": "Análise",
        "min_read": "{n} min de leitura",
        "source": "Fonte",
        "related": "Relacionados",
        "related_articles": "Artigos relacionados",
        "read_on_web": "Ler na web",
        "thoughts": "Opiniões",
        "useful": "Útil",
        "inaccurate": "Impreciso",
        "daily_digest": "Resumo diário",
        "digest_preview": "Prévia do resumo",
        "disclaimer.claude": (
            "Análise escrita pela IA Claude a partir do artigo original. Pode conter erros: "
            "confira a fonte antes de confiar nela."
        ),
        "disclaimer.offline": (
            "Extrato automático do artigo original, feito sem IA: não é uma análise. "
            "Leia a fonte para a história completa."
        ),
        "disclaimer.seed": "Análise de exemplo incluída no prism-bot para mostrar o formato.",
        "disclaimer.default": "Gerado automaticamente a partir do artigo: confira a fonte.",
        "untranslated": (
            "Este extrato automático está em {language}: o analisador offline não traduz. "
            "Com uma chave de API do Claude, as análises são escritas no seu idioma."
        ),
    },
    "nl": {
        "label.claude": "AI-analyse",
        "label.offline": "Automatisch uittreksel",
        "label.seed": "Voorbeeldanalyse",
        "label.default": "Analyse",
        "min_read": "{n} min leestijd",
        "source": "Bron",
        "related": "Gerelateerd",
        "related_articles": "Gerelateerde artikelen",
        "read_on_web": "Lees op het web",
        "thoughts": "Meningen",
        "useful": "Nuttig",
        "inaccurate": "Onjuist",
        "daily_digest": "Dagelijks overzicht",
        "digest_preview": "Voorbeeld van het overzicht",
        "disclaimer.claude": (
            "AI-analyse, door Claude geschreven op basis van het bronartikel. Er kunnen fouten "
            "in staan: controleer de bron voordat u erop vertrouwt."
        ),
        "disclaimer.offline": (
            "Automatisch uittreksel van het bronartikel, gemaakt zonder AI: geen analyse. "
            "Lees de bron voor het hele verhaal."
        ),
        "disclaimer.seed": "Voorbeeldanalyse bij prism-bot: zo zien analyses eruit.",
        "disclaimer.default": "Automatisch gemaakt van het bronartikel: controleer de bron.",
        "untranslated": (
            "Dit automatische uittreksel is in het {language}: de offline analyse kan niet "
            "vertalen. Met een Claude-API-sleutel worden analyses in uw taal geschreven."
        ),
    },
    "ru": {
        "label.claude": "ИИ-анализ",
        "label.offline": "Автоматическая выдержка",
        "label.seed": "Пример анализа",
        "label.default": "Анализ",
        "min_read": "{n} мин чтения",
        "source": "Источник",
        "related": "Похожие",
        "related_articles": "Похожие статьи",
        "read_on_web": "Читать на сайте",
        "thoughts": "Мнения",
        "useful": "Полезно",
        "inaccurate": "Неточно",
        "daily_digest": "Ежедневный дайджест",
        "digest_preview": "Предпросмотр дайджеста",
        "disclaimer.claude": (
            "Анализ написан ИИ Claude по исходной статье. В нём возможны ошибки: проверьте "
            "источник, прежде чем на него полагаться."
        ),
        "disclaimer.offline": (
            "Автоматическая выдержка из исходной статьи, сделанная без ИИ: это не анализ. "
            "Полный текст — в источнике."
        ),
        "disclaimer.seed": "Пример анализа из комплекта prism-bot, показывающий формат.",
        "disclaimer.default": "Создано автоматически по исходной статье: проверьте источник.",
        "untranslated": (
            "Эта автоматическая выдержка на языке: {language}. Офлайн-анализатор не умеет "
            "переводить; с ключом API Claude анализы пишутся на вашем языке."
        ),
    },
    "ja": {
        "label.claude": "AI分析",
        "label.offline": "自動抜粋",
        "label.seed": "サンプル分析",
        "label.default": "分析",
        "min_read": "{n}分で読めます",
        "source": "出典",
        "related": "関連",
        "related_articles": "関連記事",
        "read_on_web": "ウェブで読む",
        "thoughts": "感想",
        "useful": "役に立った",
        "inaccurate": "不正確",
        "daily_digest": "デイリーダイジェスト",
        "digest_preview": "ダイジェストのプレビュー",
        "disclaimer.claude": (
            "元記事をもとにClaude（AI）が作成した分析です。誤りを含む可能性があります。"
            "利用する前に出典を確認してください。"
        ),
        "disclaimer.offline": (
            "AIを使わずに元記事から自動で抜粋したもので、分析ではありません。"
            "全文は出典でお読みください。"
        ),
        "disclaimer.seed": "分析の形式を示すためにprism-botに同梱されたサンプルです。",
        "disclaimer.default": "元記事から自動生成されました。出典を確認してください。",
        "untranslated": (
            "この自動抜粋は{language}です。オフライン分析は翻訳できません。"
            "Claude APIキーがあれば、あなたの言語で分析を作成します。"
        ),
    },
    "ko": {
        "label.claude": "AI 분석",
        "label.offline": "자동 발췌",
        "label.seed": "샘플 분석",
        "label.default": "분석",
        "min_read": "{n}분 분량",
        "source": "출처",
        "related": "관련",
        "related_articles": "관련 기사",
        "read_on_web": "웹에서 읽기",
        "thoughts": "의견",
        "useful": "유용함",
        "inaccurate": "부정확함",
        "daily_digest": "일일 다이제스트",
        "digest_preview": "다이제스트 미리보기",
        "disclaimer.claude": (
            "원문 기사를 바탕으로 Claude(AI)가 작성한 분석입니다. 오류가 있을 수 있으니 "
            "의존하기 전에 출처를 확인하세요."
        ),
        "disclaimer.offline": (
            "AI 없이 원문 기사에서 자동으로 발췌한 것으로, 분석이 아닙니다. "
            "전체 내용은 출처에서 읽으세요."
        ),
        "disclaimer.seed": "분석 형식을 보여 주기 위해 prism-bot에 포함된 샘플입니다.",
        "disclaimer.default": "원문 기사에서 자동 생성되었습니다. 출처를 확인하세요.",
        "untranslated": (
            "이 자동 발췌는 {language}로 되어 있습니다. 오프라인 분석기는 번역할 수 없습니다. "
            "Claude API 키가 있으면 여러분의 언어로 분석을 작성합니다."
        ),
    },
    "zh": {
        "label.claude": "AI 分析",
        "label.offline": "自动摘录",
        "label.seed": "示例分析",
        "label.default": "分析",
        "min_read": "阅读约 {n} 分钟",
        "source": "来源",
        "related": "相关",
        "related_articles": "相关文章",
        "read_on_web": "在网页上阅读",
        "thoughts": "看法",
        "useful": "有用",
        "inaccurate": "不准确",
        "daily_digest": "每日摘要",
        "digest_preview": "摘要预览",
        "disclaimer.claude": (
            "本分析由 Claude（AI）根据原文撰写，可能存在错误，请在采信前核对来源。"
        ),
        "disclaimer.offline": "本文为不使用 AI 从原文自动摘录的内容，并非分析。全文请阅读来源。",
        "disclaimer.seed": "prism-bot 附带的示例分析，用于展示分析的样式。",
        "disclaimer.default": "根据原文自动生成，请核对来源。",
        "untranslated": (
            "此自动摘录为{language}：离线分析器无法翻译。设置 Claude API 密钥后，"
            "分析将以您的语言撰写。"
        ),
    },
    "ar": {
        "label.claude": "تحليل بالذكاء الاصطناعي",
        "label.offline": "مقتطف تلقائي",
        "label.seed": "تحليل نموذجي",
        "label.default": "تحليل",
        "min_read": "{n} دقائق للقراءة",
        "source": "المصدر",
        "related": "ذو صلة",
        "related_articles": "مقالات ذات صلة",
        "read_on_web": "اقرأ على الويب",
        "thoughts": "آراء",
        "useful": "مفيد",
        "inaccurate": "غير دقيق",
        "daily_digest": "الملخص اليومي",
        "digest_preview": "معاينة الملخص",
        "disclaimer.claude": (
            "تحليل كتبه الذكاء الاصطناعي Claude انطلاقًا من المقال الأصلي. قد يحتوي على "
            "أخطاء: تحقق من المصدر قبل الاعتماد عليه."
        ),
        "disclaimer.offline": (
            "مقتطف تلقائي من المقال الأصلي أُعدّ دون ذكاء اصطناعي: ليس تحليلًا. "
            "اقرأ المصدر للاطلاع على القصة كاملة."
        ),
        "disclaimer.seed": "تحليل نموذجي مرفق مع prism-bot لعرض شكل التحليلات.",
        "disclaimer.default": "أُنشئ تلقائيًا من المقال الأصلي: تحقق من المصدر.",
        "untranslated": (
            "هذا المقتطف التلقائي باللغة {language}: لا يستطيع المحلل دون اتصال الترجمة. "
            "مع مفتاح Claude API تُكتب التحليلات بلغتك."
        ),
    },
    "he": {
        "label.claude": "ניתוח בינה מלאכותית",
        "label.offline": "תקציר אוטומטי",
        "label.seed": "ניתוח לדוגמה",
        "label.default": "ניתוח",
        "min_read": "{n} דקות קריאה",
        "source": "מקור",
        "related": "קשור",
        "related_articles": "כתבות קשורות",
        "read_on_web": "לקריאה באתר",
        "thoughts": "דעות",
        "useful": "מועיל",
        "inaccurate": "לא מדויק",
        "daily_digest": "תקציר יומי",
        "digest_preview": "תצוגה מקדימה של התקציר",
        "disclaimer.claude": (
            "ניתוח שנכתב על ידי הבינה המלאכותית Claude על סמך כתבת המקור. ייתכנו בו טעויות: "
            "בדקו את המקור לפני שאתם מסתמכים עליו."
        ),
        "disclaimer.offline": (
            "תקציר אוטומטי של כתבת המקור, שנעשה ללא בינה מלאכותית: זה אינו ניתוח. "
            "לסיפור המלא קראו את המקור."
        ),
        "disclaimer.seed": "ניתוח לדוגמה המצורף ל-prism-bot כדי להראות איך נראים ניתוחים.",
        "disclaimer.default": "נוצר אוטומטית מכתבת המקור: בדקו את המקור.",
        "untranslated": (
            "התקציר האוטומטי הזה כתוב ב{language}: המנתח הלא מקוון אינו יודע לתרגם. "
            "עם מפתח Claude API הניתוחים נכתבים בשפה שלכם."
        ),
    },
    "uk": {
        "label.claude": "ШІ-аналіз",
        "label.offline": "Автоматичний витяг",
        "label.seed": "Приклад аналізу",
        "label.default": "Аналіз",
        "min_read": "{n} хв читання",
        "source": "Джерело",
        "related": "Схожі",
        "related_articles": "Схожі статті",
        "read_on_web": "Читати на сайті",
        "thoughts": "Думки",
        "useful": "Корисно",
        "inaccurate": "Неточно",
        "daily_digest": "Щоденний дайджест",
        "digest_preview": "Попередній перегляд дайджесту",
        "disclaimer.claude": (
            "Аналіз написав ШІ Claude за вихідною статтею. Можливі помилки: перевірте "
            "джерело, перш ніж на нього покладатися."
        ),
        "disclaimer.offline": (
            "Автоматичний витяг із вихідної статті, зроблений без ШІ: це не аналіз. "
            "Повний текст — у джерелі."
        ),
        "disclaimer.seed": "Приклад аналізу з комплекту prism-bot, що показує формат.",
        "disclaimer.default": "Створено автоматично за вихідною статтею: перевірте джерело.",
        "untranslated": (
            "Цей автоматичний витяг мовою: {language}. Офлайн-аналізатор не вміє "
            "перекладати; з ключем API Claude аналізи пишуться вашою мовою."
        ),
    },
    "el": {
        "label.claude": "Ανάλυση ΤΝ",
        "label.offline": "Αυτόματο απόσπασμα",
        "label.seed": "Δείγμα ανάλυσης",
        "label.default": "Ανάλυση",
        "min_read": "{n} λεπτά ανάγνωσης",
        "source": "Πηγή",
        "related": "Σχετικά",
        "related_articles": "Σχετικά άρθρα",
        "read_on_web": "Διαβάστε στον ιστό",
        "thoughts": "Απόψεις",
        "useful": "Χρήσιμο",
        "inaccurate": "Ανακριβές",
        "daily_digest": "Ημερήσια σύνοψη",
        "digest_preview": "Προεπισκόπηση σύνοψης",
        "disclaimer.claude": (
            "Ανάλυση που έγραψε η ΤΝ Claude με βάση το άρθρο της πηγής. Μπορεί να έχει "
            "λάθη: ελέγξτε την πηγή πριν βασιστείτε σε αυτήν."
        ),
        "disclaimer.offline": (
            "Αυτόματο απόσπασμα του άρθρου της πηγής, χωρίς ΤΝ: δεν είναι ανάλυση. "
            "Ολόκληρη η ιστορία βρίσκεται στην πηγή."
        ),
        "disclaimer.seed": "Δείγμα ανάλυσης του prism-bot, που δείχνει πώς μοιάζουν οι αναλύσεις.",
        "disclaimer.default": "Δημιουργήθηκε αυτόματα από το άρθρο της πηγής: ελέγξτε την πηγή.",
        "untranslated": (
            "Αυτό το αυτόματο απόσπασμα είναι στα {language}: ο αναλυτής χωρίς σύνδεση δεν "
            "μεταφράζει. Με κλειδί API του Claude, οι αναλύσεις γράφονται στη γλώσσα σας."
        ),
    },
}


def base_language(code: str | None) -> str:
    """`de-AT` → `de`, `pt_BR` → `pt`, `zh-Hans` → `zh`; empty or None → English."""
    if not code:
        return DEFAULT
    return code.replace("_", "-").split("-", 1)[0].strip().lower() or DEFAULT


def text(language: str | None, key: str, /, **values: object) -> str:
    """The label `key` in `language` (English where there is no translation)."""
    table = _TRANSLATIONS.get(base_language(language), _EN)
    template = table.get(key) or _EN[key]
    return template.format(**values) if values else template


def translated(language: str | None) -> bool:
    """Whether labels exist in this language (otherwise they are English)."""
    return base_language(language) in _TRANSLATIONS


def language_name(code: str | None) -> str:
    """A language's own name ("Deutsch"), or its code when we do not know it."""
    return LANGUAGE_NAMES.get(base_language(code), code or DEFAULT)


def direction(language: str | None) -> str:
    """`rtl` for right-to-left scripts, else `ltr` (for `dir` attributes)."""
    return "rtl" if base_language(language) in RIGHT_TO_LEFT else "ltr"


# Every ISO 639-1 code: a code outside this set is a typo, not a language.
ISO_639_1: Final = frozenset(
    re.findall(
        r"[a-z]{2}",
        """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu
    cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he
    hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko
    kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd
    ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se
    sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty
    ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
""",
    )
)

# The languages analyses are written in: those whose names, labels and checks we carry.
# Any other real language is refused plainly rather than written badly.
WRITTEN: Final = frozenset(LANGUAGE_NAMES)


def known(code: str | None) -> bool:
    """Whether `code` (`de`, `pt-BR`) names a real language at all."""
    return bool(code) and base_language(code) in ISO_639_1


def written(code: str | None) -> bool:
    """Whether analyses can be written in `code`'s language (it is in WRITTEN)."""
    return bool(code) and base_language(code) in WRITTEN


def some_written(count: int = 6) -> str:
    """A few valid codes with their names, for error messages: `de (Deutsch), …`."""
    return ", ".join(f"{c} ({LANGUAGE_NAMES[c]})" for c in list(LANGUAGE_NAMES)[:count])
